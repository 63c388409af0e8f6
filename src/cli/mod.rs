pub mod config_file;
pub mod train;
