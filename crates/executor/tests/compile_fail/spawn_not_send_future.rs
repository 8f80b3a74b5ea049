//! A future that holds an `Rc` across an await is `!Send`: `Executor::spawn` must refuse it,
//! since any runner thread may poll it.

use std::rc::Rc;

fn main() {
    let ex = executor::Executor::new();
    let shared = Rc::new(1u8);
    let _handle = ex.spawn(async move {
        executor::yield_now().await;
        *shared
    });
}
