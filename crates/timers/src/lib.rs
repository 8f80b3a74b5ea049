//! `timers`: placeholder; see the workspace README.
