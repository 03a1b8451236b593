//! `sigap nik NUMBER [--kk]`.

use std::path::Path;

use pipeline::config::Timezone;
use pipeline::domain::nik::{parse_kk, parse_nik};
use pipeline::domain::wilayah::{District, Wilayah};

use super::{Exit, load_config};

pub fn check(number: &str, kk: bool, config: Option<&Path>) -> anyhow::Result<Exit> {
    // The century of a birth year depends on "today" in the office's timezone;
    // without a config, WIB.
    let tz = load_config(config)
        .map(|c| c.office.timezone)
        .unwrap_or(Timezone::WIB);
    let today = tz.today();
    let w = Wilayah::embedded();
    let what = if kk { "KK number" } else { "NIK" };
    let result = if kk {
        parse_kk(number, w, today).map(|i| {
            print_region(&i.district);
            println!("Registered  {}", i.registered_on.format("%d-%m-%Y"));
            println!("Serial      {:04}", i.serial);
        })
    } else {
        parse_nik(number, w, today).map(|i| {
            print_region(&i.district);
            println!("Born        {}", i.birth_date.format("%d-%m-%Y"));
            println!("Sex         {} ({})", i.sex.code(), i.sex.label());
            println!("Serial      {:04}", i.serial);
        })
    };
    match result {
        Ok(()) => {
            println!("{what} is valid.");
            Ok(Exit::Ok)
        }
        Err(e) => {
            println!("{what} is invalid: rule {} failed: {e}", e.code());
            Ok(Exit::Attention)
        }
    }
}

fn print_region(d: &District) {
    println!("Province    {} ({})", d.province, &d.code[..2]);
    println!("Kabupaten   {} ({})", d.regency, d.regency_code);
    println!("Kecamatan   {} ({})", d.name, d.code);
}
