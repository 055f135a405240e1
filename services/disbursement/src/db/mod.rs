//! Every SQL query of the service; nothing outside this module speaks SQL.
