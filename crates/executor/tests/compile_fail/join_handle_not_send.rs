//! `JoinHandle<T>` carries a `T` to whoever awaits it: it must be `!Send` when `T` is, so a
//! local task's `Rc` output cannot be taken to another thread.

use std::rc::Rc;

fn main() {
    let ex = executor::LocalExecutor::new();
    let handle: executor::JoinHandle<Rc<u8>> = ex.spawn(async { Rc::new(1) });
    std::thread::spawn(move || drop(handle));
}
