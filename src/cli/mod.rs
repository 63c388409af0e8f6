pub mod cell;
pub mod crosscheck;
pub mod methods;
pub mod train;
