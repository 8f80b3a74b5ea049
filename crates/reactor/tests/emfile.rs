//! EMFILE on accept: with every fd slot taken, `accept` fails at once with `EMFILE` and keeps
//! the listener readable; an accept loop that backs off as documented neither spins a core nor
//! stalls, and accepts the waiting connections once fds are freed.
//!
//! The fd limit is lowered in a child process (this test binary run again with one ignored
//! test selected), so other tests are never starved of fds.

use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use reactor::net::TcpListener;

const CHILD: &str = "REACTOR_EMFILE_CHILD";
/// Connections waiting in the backlog while the process is out of fds.
const WAITING: usize = 8;
/// The back-off the accept loop sleeps after EMFILE (inside the documented 10–100 ms).
const BACKOFF: Duration = Duration::from_millis(20);
/// EMFILE errors to see before freeing fds: enough to show the loop keeps backing off.
const EMFILES_BEFORE_FREEING: usize = 5;
/// Fds the child fills and later frees, beyond the accepted streams: room for anything the
/// runtime opens while accepting. (The limit is set from the highest open fd, so when the
/// fds below it are all in use, these slots are the only ones freed.)
const SPARE_FDS: usize = 8;

#[test]
fn accept_backs_off_on_emfile_and_resumes_when_fds_are_freed() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "emfile_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("emfile child done"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// CPU time (user + system) this process has used.
fn cpu_time() -> Duration {
    // SAFETY: `getrusage` writes a `struct rusage` into the zeroed value we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The highest fd number this process has open.
fn highest_fd() -> i32 {
    std::fs::read_dir("/dev/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .max()
        .unwrap()
}

#[test]
#[ignore = "run in its own process by accept_backs_off_on_emfile_and_resumes_when_fds_are_freed"]
fn emfile_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The clients connect now, before the limit drops; they wait in the backlog.
    let clients: Vec<_> = (0..WAITING)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    // Start the timer driver before the limit drops (it opens no fds, but make sure).
    block_on::block_on(timers::sleep(Duration::from_millis(1)));

    // Lower the limit to leave room for the waiting connections above the highest open fd,
    // then fill every free slot below it.
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: writes the current limits into `rl`, which we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    rl.rlim_cur = (highest_fd() as usize + 1 + WAITING + SPARE_FDS) as libc::rlim_t;
    // SAFETY: `rl` is a valid `struct rlimit` (the soft limit lowered, the hard one kept);
    // it affects only this child process.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);
    let mut fillers = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => fillers.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(
        fillers.len() >= WAITING + SPARE_FDS,
        "only {} fds filled: freeing them would not make room for {WAITING} connections",
        fillers.len()
    );

    let result = block_on::block_on(timers::timeout(Duration::from_secs(30), async {
        let mut accepted = Vec::new();
        let mut emfiles = 0;
        let mut phase = None;
        while accepted.len() < WAITING {
            match listener.accept().await {
                Ok((stream, _)) => accepted.push(stream),
                Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                    emfiles += 1;
                    let (wall0, cpu0) = *phase.get_or_insert((Instant::now(), cpu_time()));
                    if emfiles == EMFILES_BEFORE_FREEING {
                        // The loop backed off instead of spinning: it used little CPU while
                        // it could not accept. (A spinning loop uses a whole core.)
                        let (wall, cpu) = (wall0.elapsed(), cpu_time() - cpu0);
                        assert!(cpu < wall / 2, "accept loop spun: {cpu:?} CPU in {wall:?}");
                        fillers.clear(); // fds free up
                    }
                    timers::sleep(BACKOFF).await;
                }
                Err(e) => panic!("unexpected accept error: {e}"),
            }
        }
        io::Result::Ok((accepted.len(), emfiles))
    }));
    let (n, emfiles) = result
        .expect("accepting resumed once fds were freed")
        .unwrap();
    assert_eq!(n, WAITING);
    assert!(emfiles >= EMFILES_BEFORE_FREEING);
    drop(clients);
    println!("emfile child done: {n} accepted after {emfiles} EMFILE errors");
}
