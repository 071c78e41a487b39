//! Worker and connector configuration (filled in by the config work).
