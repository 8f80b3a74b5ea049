//! `LocalExecutor` runs `!Send` futures on the thread that made it: it must not move to
//! another thread.

fn main() {
    let ex = executor::LocalExecutor::new();
    std::thread::spawn(move || drop(ex));
}
