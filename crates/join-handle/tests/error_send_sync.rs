//! Compile test: `JoinError` goes through `?` into `Box<dyn Error + Send + Sync>`, the error
//! type of most applications (and what `anyhow::Error` needs). This file does not compile if
//! `JoinError` loses `Send` or `Sync`.

use std::error::Error;

use executor::Executor;

type AppResult<T> = Result<T, Box<dyn Error + Send + Sync + 'static>>;

fn join_with_question_mark(ex: &Executor, fail: bool) -> AppResult<u32> {
    let task = ex.spawn(async move {
        if fail {
            panic!("task failed on purpose");
        }
        7
    });
    let value = ex.block_on(task.try_join())?;
    Ok(value * 6)
}

#[test]
fn join_error_converts_with_question_mark() {
    let ex = Executor::new();
    assert_eq!(join_with_question_mark(&ex, false).unwrap(), 42);
    let err = join_with_question_mark(&ex, true).unwrap_err();
    assert_eq!(err.to_string(), "task panicked: task failed on purpose");
    // The boxed error can cross threads and be shared by them.
    let shared = std::sync::Arc::new(err);
    let from_thread = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.to_string())
            .join()
            .unwrap()
    };
    assert_eq!(from_thread, shared.to_string());
}
