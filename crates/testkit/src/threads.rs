//! The threads of this process, as the kernel lists them.

/// The names of this process's threads (`/proc/self/task/*/comm`), for tests that check
/// which threads a library started. A thread that exits while it is read is left out.
///
/// ```
/// let (started, running) = std::sync::mpsc::channel();
/// std::thread::Builder::new()
///     .name("listed".into())
///     .spawn(move || {
///         started.send(()).unwrap(); // the name is set before the thread's code runs
///         std::thread::park();
///     })
///     .unwrap();
/// running.recv().unwrap();
/// assert!(testkit::thread_names().iter().any(|n| n == "listed"));
/// ```
pub fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}
