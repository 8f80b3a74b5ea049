//! `LocalExecutor` is not `Sync` either: another thread must not even borrow it, or it could
//! run the executor's `!Send` tasks there.

fn main() {
    let ex = executor::LocalExecutor::new();
    std::thread::scope(|s| {
        s.spawn(|| ex.run());
    });
}
