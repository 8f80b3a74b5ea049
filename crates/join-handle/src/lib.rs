//! `join_handle`: placeholder; see the workspace README.
