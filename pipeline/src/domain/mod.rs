//! The office's domain: types that several parts of sigap share, with no
//! stage, store or adapter behind them.

pub mod outcome;
