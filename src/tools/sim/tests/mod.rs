//! The simulator's own tests: both response models' determinism, the paired oracle (the world
//! untouched, zero effect where nothing can change, texts weaker than conversations), and days
//! beyond the configured run.
