pub mod crosscheck;
pub mod methods;
pub mod train;
