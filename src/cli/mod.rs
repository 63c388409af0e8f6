pub mod crosscheck;
pub mod train;
