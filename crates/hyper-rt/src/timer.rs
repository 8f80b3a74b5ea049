//! [`HyperTimer`]: hyper's `rt::Timer` on `timers`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// hyper's timer (header-read timeouts, keep-alive, HTTP/2 pings) on `timers`' driver.
///
/// ```
/// use std::time::{Duration, Instant};
/// use hyper::rt::Timer as _;
///
/// let start = Instant::now();
/// block_on::block_on(hyper_rt::HyperTimer::default().sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperTimer;

/// A `timers::Sleep` as hyper's `rt::Sleep`.
#[derive(Debug)]
struct HyperSleep(timers::Sleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.get_mut().0).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(timers::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(timers::sleep_until(deadline)))
    }

    /// Moves the deadline in place (reusing the timer's allocation) when `sleep` is ours.
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(ours) => ours.get_mut().0.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    #[test]
    fn reset_moves_the_deadline_of_our_sleep_in_place() {
        let timer = HyperTimer;
        let mut sleep = timer.sleep(Duration::from_secs(3600));
        let soon = Instant::now() + Duration::from_millis(5);
        timer.reset(&mut sleep, soon);
        assert!(sleep.as_mut().downcast_mut_pin::<HyperSleep>().is_some());
        block_on::block_on(sleep);
        assert!(Instant::now() >= soon);
    }
}
