//! Model training and evaluation (being written).
