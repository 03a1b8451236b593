//! End-to-end tests: they drive the real `sigap` executable on real office
//! directories, as a user or a cron job would.

mod support;

mod dovecot;
mod pg;
mod smtp;
mod spine;

mod archive;
mod documents;
mod holidays;
mod imap;
mod intake;
mod logscan;
mod notify;
mod outages;
mod pickups;
mod print;
mod schedule;
mod security;
mod sla;
mod tls;
mod unclassified;
mod verify;
mod xlsx;
