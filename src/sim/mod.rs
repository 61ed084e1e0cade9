//! The portfolio simulator (being written).
