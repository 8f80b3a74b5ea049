//! The output travels from the runner thread to the handle: `Executor::spawn` must refuse a
//! `!Send` output even when the future itself is `Send`.

use std::rc::Rc;

fn main() {
    let ex = executor::Executor::new();
    let _handle = ex.spawn(async { Rc::new(1u8) });
}
