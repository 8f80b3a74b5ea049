//! The attribute macros behind `#[executor::main]` and `#[executor::test]`. Use them through
//! the `executor` crate, which re-exports them and holds the code they call: this crate's
//! expansion refers to `::executor`.
//!
//! Both turn an `async fn` with no arguments (any name, any return type) into a plain `fn`
//! that builds an executor, blocks on the body and returns its value:
//!
//! ```text
//! #[executor::main]                    // one worker thread per available core
//! async fn main() { .. }
//!
//! #[executor::main(worker_threads = 2)]
//! async fn main() -> Result<(), Error> { .. }
//!
//! #[executor::test]                    // also adds #[test]
//! async fn it_works() { .. }
//! ```
//!
//! expands (roughly) to
//!
//! ```text
//! fn main() -> Result<(), Error> {
//!     let body = async move { .. };
//!     ::executor::__private::start_with(Some(2), body)
//! }
//! ```
//!
//! Anything else (arguments, generics, a non-`async` fn, an unknown option) is a compile
//! error that says what the macro accepts.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Error, ItemFn, LitInt};

/// Runs an `async fn` with no arguments on a new executor: the function becomes a plain one
/// that builds an executor with one worker thread per available core (or
/// `worker_threads = N`), blocks on the body, and returns its value.
///
/// `worker_threads = 0` starts no worker: only the calling thread runs tasks, while it waits
/// for the body (tasks must still be `Send`; `LocalExecutor` is the home of `!Send` ones).
///
/// Any name and any return type work, `Result` and `?` included. The calling thread drives
/// tasks too while it waits; when the body returns, the executor is dropped (its workers
/// stop, tasks still alive are cancelled). `executor::start(future)` does the same without a
/// macro.
///
/// ```
/// use std::time::Duration;
///
/// #[executor::main]
/// async fn main() {
///     let task = executor::spawn(async { 6 * 7 });
///     timers::sleep(Duration::from_millis(10)).await;
///     println!("the answer is {}", task.await);
/// }
/// ```
///
/// With a chosen number of workers, another name and a return value:
///
/// ```
/// use std::error::Error;
///
/// #[executor::main(worker_threads = 2)]
/// async fn compute() -> Result<u32, Box<dyn Error + Send + Sync>> {
///     let task = executor::spawn(async { "42".parse::<u32>() });
///     Ok(task.await?)
/// }
///
/// assert_eq!(compute().unwrap(), 42);
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args.into(), item.into())
}

/// Like `main`, for a test: the `async fn` becomes a `#[test]` function that runs its body
/// on a new executor (one worker per available core, or `worker_threads = N`). A test may
/// return `Result`, as with `#[test]`.
///
/// ```
/// #[executor::test]
/// async fn spawned_tasks_run() {
///     let task = executor::spawn(async { 1 + 1 });
///     assert_eq!(task.await, 2);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args.into(), item.into())
}

#[derive(Clone, Copy)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[executor::main]",
            Kind::Test => "#[executor::test]",
        }
    }
}

fn expand(kind: Kind, args: TokenStream2, item: TokenStream2) -> TokenStream {
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(err) => {
            let err = err.into_compile_error();
            return quote! { #err #item }.into();
        }
    };
    let result = parse_args(kind, args)
        .and_then(|workers| rewrite(kind, workers, function.clone()))
        .unwrap_or_else(|err| {
            let err = err.into_compile_error();
            let stub = stub(function);
            quote! { #err #stub }
        });
    result.into()
}

/// The function made plain, with a body that is never run: emitted beside a compile error,
/// so that the error is the only one (no "`main` is not allowed to be `async`", no
/// "`main` not found").
fn stub(mut function: ItemFn) -> TokenStream2 {
    function.sig.asyncness = None;
    function.attrs.retain(|a| !a.path().is_ident("test"));
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unreachable_code)]
        #vis #sig { ::core::unreachable!() }
    }
}

/// `worker_threads = N`, or nothing.
fn parse_args(kind: Kind, args: TokenStream2) -> syn::Result<Option<LitInt>> {
    let mut workers = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("worker_threads") {
            if workers.is_some() {
                return Err(meta.error("`worker_threads` is given twice"));
            }
            let value = meta.value()?;
            let n: LitInt = value.parse().map_err(|err| {
                Error::new(
                    err.span(),
                    "`worker_threads` takes a number, e.g. `worker_threads = 2`",
                )
            })?;
            n.base10_parse::<usize>()?;
            workers = Some(n);
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown option: {} takes only `worker_threads = N`",
                kind.attr()
            )))
        }
    });
    parser.parse2(args)?;
    Ok(workers)
}

fn rewrite(kind: Kind, workers: Option<LitInt>, function: ItemFn) -> syn::Result<TokenStream2> {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let attr = kind.attr();
    if sig.asyncness.is_none() {
        return Err(Error::new(
            sig.fn_token.span(),
            format!("{attr} goes on an `async fn`: add `async` before `fn`"),
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(Error::new_spanned(
            &sig.inputs,
            format!("{attr} takes an `async fn` with no arguments"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(Error::new_spanned(
            &sig.generics,
            format!("{attr} takes an `async fn` without generic parameters"),
        ));
    }
    if let Some(constness) = sig.constness {
        return Err(Error::new(
            constness.span(),
            format!("{attr} cannot go on a `const fn`"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(Error::new(
            variadic.span(),
            format!("{attr} takes an `async fn` with no arguments"),
        ));
    }
    if let Kind::Test = kind
        && let Some(test) = attrs.iter().find(|a| a.path().is_ident("test"))
    {
        return Err(Error::new(
            test.span(),
            "#[executor::test] adds #[test] itself: remove this one",
        ));
    }

    let mut sig = sig;
    sig.asyncness = None;
    let workers = match workers {
        Some(n) => quote! { ::core::option::Option::Some(#n) },
        None => quote! { ::core::option::Option::None },
    };
    let test_attr = match kind {
        Kind::Main => quote! {},
        Kind::Test => quote! { #[::core::prelude::v1::test] },
    };
    let body = quote::quote_spanned! {Span::mixed_site()=>
        let body = async move #block;
        ::executor::__private::start_with(#workers, body)
    };
    Ok(quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            #body
        }
    })
}
