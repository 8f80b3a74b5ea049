//! `executor`: placeholder; see the workspace README.
