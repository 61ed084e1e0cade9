//! The portfolio simulator: determinism, contract validity of every line, time order, the truth
//! file, hidden traits driving behaviour, and the world's own contact-policy audit.

mod behaviour;
mod cli;
mod contract;
mod determinism;
mod policy;
mod support;
