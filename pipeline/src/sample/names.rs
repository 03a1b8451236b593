//! Regional flavour: names, religions, birth places, addresses and
//! occupations that look like the three sample kabupaten (Javanese in
//! Bantul, Balinese in Tabanan, Banjar and Dayak Ngaju in Kapuas).
//! Spelling follows what SIAK prints: upper case, modern spelling.

use self::lists::*;
use super::rng::Rng;
use crate::domain::nik::Sex;

/// Which part of Indonesia the office is in, from its province code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    /// Java (Bantul and anything not listed below).
    Java,
    /// Bali (Tabanan).
    Bali,
    /// Kalimantan (Kapuas).
    Kalimantan,
}

impl Region {
    /// The region of a dotted kabupaten code (`34.02`).
    pub(crate) fn of_kabupaten(code: &str) -> Region {
        match code.get(..2) {
            Some("51") => Region::Bali,
            Some("61" | "62" | "63" | "64" | "65") => Region::Kalimantan,
            _ => Region::Java,
        }
    }
}

/// The naming tradition of one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Culture {
    /// Javanese names (also Muslim households in Bali).
    Javanese,
    /// Balinese birth-order names.
    Balinese,
    /// Banjar (Muslim) names.
    Banjar,
    /// Dayak Ngaju names with a family name.
    Dayak,
}

/// KTP spellings of the religions.
pub(crate) const ISLAM: &str = "ISLAM";
const KRISTEN: &str = "KRISTEN";
const KATHOLIK: &str = "KATHOLIK";
const HINDU: &str = "HINDU";
const BUDHA: &str = "BUDHA";

/// Marital statuses as SIAK writes them.
pub(crate) const BELUM_KAWIN: &str = "BELUM KAWIN";
/// Married.
pub(crate) const KAWIN: &str = "KAWIN";
/// Divorced.
pub(crate) const CERAI_HIDUP: &str = "CERAI HIDUP";
/// Widowed.
pub(crate) const CERAI_MATI: &str = "CERAI MATI";

/// A household's culture and religion, drawn with the region's mix.
pub(crate) fn household_culture(region: Region, rng: &mut Rng) -> (Culture, &'static str) {
    match region {
        Region::Java => {
            let religion =
                [ISLAM, KATHOLIK, KRISTEN, HINDU, BUDHA][rng.weighted(&[920, 40, 35, 3, 2])];
            (Culture::Javanese, religion)
        }
        Region::Bali => match rng.weighted(&[880, 80, 25, 15]) {
            0 => (Culture::Balinese, HINDU),
            1 => (Culture::Javanese, ISLAM),
            2 => (Culture::Balinese, KRISTEN),
            _ => (Culture::Balinese, BUDHA),
        },
        Region::Kalimantan => {
            if rng.chance(6_500) {
                (Culture::Banjar, ISLAM)
            } else {
                // Kaharingan is registered as HINDU on the KTP.
                let religion = [KRISTEN, HINDU, KATHOLIK][rng.weighted(&[55, 30, 15])];
                (Culture::Dayak, religion)
            }
        }
    }
}

/// A family name for a Dayak household (other cultures have none).
pub(crate) fn family_name(culture: Culture, rng: &mut Rng) -> Option<&'static str> {
    (culture == Culture::Dayak).then(|| *rng.pick(DAYAK_FAMILY))
}

/// What a person is called. `birth_order` counts from 1 (Balinese names
/// carry it); `birth_year` picks the generation's fashion.
pub(crate) fn person_name(
    culture: Culture,
    religion: &str,
    sex: Sex,
    birth_year: i32,
    birth_order: u32,
    family: Option<&str>,
    rng: &mut Rng,
) -> String {
    match culture {
        Culture::Javanese => javanese(religion, sex, birth_year, rng),
        Culture::Balinese => balinese(sex, birth_order, rng),
        Culture::Banjar => banjar(sex, rng),
        Culture::Dayak => dayak(sex, birth_year, family, rng),
    }
}

fn javanese(religion: &str, sex: Sex, birth_year: i32, rng: &mut Rng) -> String {
    let christian = religion == KRISTEN || religion == KATHOLIK;
    let core = match (sex, birth_year) {
        (Sex::L, ..=1969) if rng.chance(6_500) => rng.pick(JAVA_OLD_M).to_string(),
        (Sex::P, ..=1969) if rng.chance(6_000) => rng.pick(JAVA_OLD_F).to_string(),
        (Sex::L, ..=1994) => two(JAVA_MID_M, JAVA_SURNAME_M, 7_500, rng),
        (Sex::P, ..=1994) => two(JAVA_MID_F, JAVA_SURNAME_F, 8_000, rng),
        (Sex::L, _) => two(JAVA_YOUNG_M, JAVA_YOUNG_SURNAME_M, 8_500, rng),
        (Sex::P, _) => two(JAVA_YOUNG_F, JAVA_YOUNG_SURNAME_F, 8_500, rng),
    };
    if christian && rng.chance(6_000) {
        let baptismal = if sex == Sex::L {
            rng.pick(BAPTISMAL_M)
        } else {
            rng.pick(BAPTISMAL_F)
        };
        format!("{baptismal} {core}")
    } else {
        core
    }
}

/// A first name, followed by a second one with the given odds.
fn two(first: &[&str], second: &[&str], basis_points: u32, rng: &mut Rng) -> String {
    let a = rng.pick(first);
    if rng.chance(basis_points) {
        let b = rng.pick(second);
        if a != b {
            return format!("{a} {b}");
        }
    }
    a.to_string()
}

fn balinese(sex: Sex, birth_order: u32, rng: &mut Rng) -> String {
    let article = if sex == Sex::L { "I" } else { "NI" };
    // A few households are of the triwangsa castes, whose titles replace
    // the birth-order name.
    if rng.chance(500) {
        let title = if sex == Sex::L {
            rng.pick(BALI_TITLE_M)
        } else {
            rng.pick(BALI_TITLE_F)
        };
        let given = if sex == Sex::L {
            rng.pick(BALI_GIVEN_M)
        } else {
            rng.pick(BALI_GIVEN_F)
        };
        return format!("{title} {given}");
    }
    let order: &[&str] = match (sex, birth_order) {
        (Sex::L, 1) => &["WAYAN", "PUTU", "GEDE"],
        (Sex::P, 1) => &["LUH", "PUTU", "WAYAN", "LUH PUTU"],
        (_, 2) => &["MADE", "KADEK", "NENGAH"],
        (_, 3) => &["NYOMAN", "KOMANG"],
        _ => &["KETUT"],
    };
    let order = rng.pick(order);
    let given = if sex == Sex::L {
        rng.pick(BALI_GIVEN_M)
    } else {
        rng.pick(BALI_GIVEN_F)
    };
    if rng.chance(2_500) {
        let middle = if sex == Sex::L {
            rng.pick(BALI_MIDDLE_M)
        } else {
            rng.pick(BALI_MIDDLE_F)
        };
        format!("{article} {order} {middle} {given}")
    } else {
        format!("{article} {order} {given}")
    }
}

fn banjar(sex: Sex, rng: &mut Rng) -> String {
    match sex {
        Sex::L => match rng.weighted(&[35, 20, 45]) {
            0 => format!("MUHAMMAD {}", rng.pick(BANJAR_AFTER_MUHAMMAD)),
            1 => format!("AHMAD {}", rng.pick(BANJAR_AFTER_AHMAD)),
            _ => rng.pick(BANJAR_M).to_string(),
        },
        Sex::P => match rng.weighted(&[35, 15, 50]) {
            0 => format!("SITI {}", rng.pick(BANJAR_AFTER_SITI)),
            1 => format!("NOOR {}", rng.pick(BANJAR_AFTER_NOOR)),
            _ => rng.pick(BANJAR_F).to_string(),
        },
    }
}

fn dayak(sex: Sex, birth_year: i32, family: Option<&str>, rng: &mut Rng) -> String {
    // Older Dayak Ngaju often carry one traditional name.
    if birth_year < 1965 && rng.chance(4_000) {
        return rng.pick(DAYAK_SINGLE).to_string();
    }
    let given = if sex == Sex::L {
        rng.pick(DAYAK_GIVEN_M)
    } else {
        rng.pick(DAYAK_GIVEN_F)
    };
    let family = family.unwrap_or_else(|| *rng.pick(DAYAK_FAMILY));
    format!("{given} {family}")
}

/// A birth place written as on the KTP, plausible for the region.
pub(crate) fn birth_place(region: Region, rng: &mut Rng) -> &'static str {
    let (places, weights): (&[&str], &[u32]) = match region {
        Region::Java => (
            &[
                "BANTUL",
                "YOGYAKARTA",
                "SLEMAN",
                "KULON PROGO",
                "GUNUNGKIDUL",
                "KLATEN",
                "MAGELANG",
                "PURWOREJO",
                "JAKARTA",
                "SURAKARTA",
            ],
            &[60, 14, 6, 4, 4, 4, 3, 2, 2, 1],
        ),
        Region::Bali => (
            &[
                "TABANAN",
                "DENPASAR",
                "BADUNG",
                "GIANYAR",
                "JEMBRANA",
                "BULELENG",
                "KARANGASEM",
                "KLUNGKUNG",
                "BANYUWANGI",
            ],
            &[64, 12, 6, 4, 4, 4, 2, 2, 2],
        ),
        Region::Kalimantan => (
            &[
                "KUALA KAPUAS",
                "KAPUAS",
                "PALANGKA RAYA",
                "BANJARMASIN",
                "PULANG PISAU",
                "MANDOMAI",
                "BUNTOK",
                "SAMPIT",
                "MARABAHAN",
            ],
            &[45, 15, 12, 10, 6, 5, 3, 2, 2],
        ),
    };
    places[rng.weighted(weights)]
}

/// Street or hamlet, RT and RW of a household.
pub(crate) fn address(region: Region, village: &str, rng: &mut Rng) -> (String, String, String) {
    let rt_rw = |rng: &mut Rng, rt: i64, rw: i64| {
        (
            format!("{:03}", rng.range(1, rt)),
            format!("{:03}", rng.range(1, rw)),
        )
    };
    match region {
        Region::Java => {
            let street = match rng.weighted(&[45, 20, 25, 10]) {
                0 => format!("DUSUN {}", rng.pick(JAVA_DUSUN)),
                1 => rng.pick(JAVA_DUSUN).to_string(),
                2 => {
                    let (road, lo, hi) = rng.pick(JAVA_ROADS);
                    format!("JL. {road} KM {}", rng.range(*lo, *hi))
                }
                _ => format!(
                    "PERUM {} {}",
                    rng.pick(JAVA_PERUM),
                    rng.pick(&["ASRI", "INDAH", "PERMAI", "REGENCY"])
                ),
            };
            let (rt, rw) = rt_rw(rng, 12, 20);
            (street, rt, rw)
        }
        Region::Bali => {
            if rng.chance(7_500) {
                // Banjar addresses in Bali usually carry no RT/RW.
                (
                    format!("BR. {}", rng.pick(BALI_BANJAR)),
                    "000".into(),
                    "000".into(),
                )
            } else {
                let street = format!("JL. {} NO. {}", rng.pick(BALI_STREETS), rng.range(1, 120));
                let (rt, rw) = rt_rw(rng, 8, 6);
                (street, rt, rw)
            }
        }
        Region::Kalimantan => {
            let street = match rng.weighted(&[55, 30, 15]) {
                0 => format!("JL. {}", rng.pick(KALIMANTAN_STREETS)),
                1 => format!("DESA {}", village.to_uppercase()),
                _ => format!("JL. PEMUDA KM {}", rng.range(1, 12)),
            };
            let (rt, rw) = rt_rw(rng, 20, 8);
            (street, rt, rw)
        }
    }
}

/// An occupation as listed on the KTP, by region, sex and age.
pub(crate) fn occupation(
    region: Region,
    sex: Sex,
    age: u32,
    married: bool,
    rng: &mut Rng,
) -> &'static str {
    if age < 17 || (age < 23 && rng.chance(7_000)) {
        return "PELAJAR/MAHASISWA";
    }
    if age >= 62 && rng.chance(4_000) {
        return if rng.chance(5_000) {
            "PENSIUNAN"
        } else {
            "BELUM/TIDAK BEKERJA"
        };
    }
    if sex == Sex::P && married && rng.chance(4_000) {
        return "MENGURUS RUMAH TANGGA";
    }
    let farm_or_fish = match region {
        Region::Kalimantan if rng.chance(3_000) => "NELAYAN/PERIKANAN",
        _ => "PETANI/PEKEBUN",
    };
    let jobs = [
        farm_or_fish,
        "WIRASWASTA",
        "KARYAWAN SWASTA",
        "BURUH HARIAN LEPAS",
        "PEDAGANG",
        "PEGAWAI NEGERI SIPIL (PNS)",
        "GURU",
        "BELUM/TIDAK BEKERJA",
        "PERANGKAT DESA",
        "KEPOLISIAN RI (POLRI)",
        "TENTARA NASIONAL INDONESIA (TNI)",
    ];
    jobs[rng.weighted(&[26, 20, 18, 12, 8, 5, 3, 4, 1, 1, 1])]
}

/// An email address derived from a name, as people make them.
pub(crate) fn email_for(name: &str, birth_year: i32, rng: &mut Rng) -> String {
    const SKIP: [&str; 12] = [
        "I", "NI", "LUH", "PUTU", "WAYAN", "MADE", "KADEK", "NENGAH", "NYOMAN", "KOMANG", "KETUT",
        "GEDE",
    ];
    let mut words: Vec<String> = name
        .split_whitespace()
        .filter(|w| !SKIP.contains(w))
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphabetic)
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        words.push("warga".into());
    }
    words.truncate(2);
    let sep = *rng.pick(&[".", "", "_"]);
    let mut local = words.join(sep);
    match rng.weighted(&[45, 30, 25]) {
        0 => local.push_str(&format!("{:02}", birth_year.rem_euclid(100))),
        1 => local.push_str(&rng.range(1, 999).to_string()),
        _ => {}
    }
    // Reserved example domains (RFC 2606), never a real provider: a notice
    // sent from sample data must not reach a real mailbox.
    let domain = ["example.com", "example.org", "example.net", "mail.example"]
        [rng.weighted(&[78, 10, 8, 4])];
    format!("{local}@{domain}")
}

/// A mobile number in one of the ways people write it.
pub(crate) fn phone(rng: &mut Rng) -> String {
    let prefix = rng.pick(&[
        "811", "812", "813", "821", "822", "852", "853", "857", "858", "877", "878", "895", "896",
    ]);
    let rest = rng.range(10_000_000, 99_999_999);
    match rng.weighted(&[70, 15, 15]) {
        0 => format!("0{prefix}{rest}"),
        1 => format!("0{prefix}-{}-{}", rest / 10_000, rest % 10_000),
        _ => format!("+62 {prefix} {} {}", rest / 10_000, rest % 10_000),
    }
}

/// Academic and pilgrim titles people add to their name on forms; they
/// are not part of the name on the KK, so a match must survive them.
pub(crate) fn honorific(
    name_title_case: &str,
    sex: Sex,
    religion: &str,
    rng: &mut Rng,
) -> (String, &'static str) {
    let muslim = religion == ISLAM;
    match rng.weighted(&[if muslim { 40 } else { 0 }, 20, 25, 15]) {
        0 => {
            let h = if sex == Sex::L { "H." } else { "Hj." };
            (format!("{h} {name_title_case}"), "honorific_haji")
        }
        1 => (format!("Dr. {name_title_case}"), "honorific_dr"),
        2 => (format!("{name_title_case}, S.Pd"), "degree_spd"),
        _ => (format!("{name_title_case}, S.H."), "degree_sh"),
    }
}

/// `BUDI SANTOSO` → `Budi Santoso`.
pub(crate) fn title_case(name: &str) -> String {
    name.split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(cs.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The word lists, kept as compact tables.
#[rustfmt::skip]
mod lists {
    /// Javanese men born before 1970, often one name.
    pub(super) const JAVA_OLD_M: &[&str] = &[
        "SUPARMAN", "SUKIRMAN", "SUTRISNO", "PAIJO", "SUGIYONO", "SUPARDI", "WAGIMAN", "DARMAJI", "TUKIJO",
        "SUKADI", "PARJIYO", "MUJIYONO", "SUMARNO", "KASIMAN", "WALIJO", "SUYANTO", "SUPRIYADI", "NGADIMAN",
        "SAMIJO", "JUMADI", "SURADI", "PAWIRO", "SUDARNO", "KARJO",
    ];
    /// Javanese women born before 1970.
    pub(super) const JAVA_OLD_F: &[&str] = &[
        "SUPARMI", "SUMARNI", "WARTINI", "SUKINEM", "PAINEM", "TUMINAH", "SUGIYEM", "PARIYEM", "WAGINEM",
        "SUMIYATI", "SRI WAHYUNI", "SITI AMINAH", "SITI MARYAM", "SUMINAH", "JUMINAH", "KASIYEM", "SRI LESTARI",
        "NGATINAH", "RUBIYEM", "SUPRAPTI",
    ];
    /// First names of Javanese men born 1970-1994.
    pub(super) const JAVA_MID_M: &[&str] = &[
        "BUDI", "AGUS", "TRI", "EKO", "DWI", "HERU", "JOKO", "BAMBANG", "SLAMET", "WAHYU", "ARIF", "HENDRA",
        "RUDI", "TEGUH", "SIGIT", "YUDI", "DANANG", "ANDRI", "HARI", "NUR", "MUHAMMAD", "AHMAD", "SUGENG",
        "BAYU", "ADI", "WAHYUDI", "PURWANTO", "SUPRIYANTO",
    ];
    /// Second names of Javanese men born 1970-1994.
    pub(super) const JAVA_SURNAME_M: &[&str] = &[
        "SANTOSO", "HARYANTO", "PRASETYO", "WIBOWO", "NUGROHO", "SETIAWAN", "SUSANTO", "PURNOMO", "HIDAYAT",
        "KURNIAWAN", "WIJAYA", "RAHARJO", "SUSILO", "SAPUTRO", "PRABOWO", "WALUYO", "SUBAGYO", "HARTONO",
        "SUHARTONO", "CAHYONO", "SUPRIYONO", "WIDODO", "SULISTYO", "HANDOKO",
    ];
    /// First names of Javanese women born 1970-1994.
    pub(super) const JAVA_MID_F: &[&str] = &[
        "SRI", "ENDANG", "DWI", "TRI", "RINI", "YULI", "SITI", "NUR", "ANI", "DEWI", "RATNA", "SUSI", "WIWIK",
        "EKA", "ESTI", "ENY", "TITIK", "NANIK", "YUNI", "WINARSIH",
    ];
    /// Second names of Javanese women born 1970-1994.
    pub(super) const JAVA_SURNAME_F: &[&str] = &[
        "WAHYUNI", "LESTARI", "RAHAYU", "ASTUTI", "HANDAYANI", "WULANDARI", "PURWANINGSIH", "SUSILOWATI",
        "KUSUMAWATI", "MULYANI", "SUPRAPTI", "WIDAYATI", "SETYOWATI", "HARYATI", "RAHMAWATI", "SULISTYOWATI",
        "PUJIASTUTI", "NURHAYATI", "UTAMI", "ANDRIYANI",
    ];
    /// First names of Javanese men born from 1995.
    pub(super) const JAVA_YOUNG_M: &[&str] = &[
        "RIZKY", "FAJAR", "DIMAS", "BAYU", "ADITYA", "YOGA", "ILHAM", "GALIH", "ANGGA", "REZA", "FIKRI", "RAFI",
        "NAUFAL", "ARYA", "DAFFA", "BAGAS", "DANU", "FAISAL", "HAFIZ", "RAIHAN",
    ];
    /// Second names of Javanese men born from 1995.
    pub(super) const JAVA_YOUNG_SURNAME_M: &[&str] = &[
        "PRATAMA", "SAPUTRA", "NUGRAHA", "RAMADHAN", "SETIAWAN", "WICAKSONO", "HIDAYAT", "FIRMANSYAH",
        "MAULANA", "ADITAMA", "PRASETYA", "KURNIAWAN", "ARDIANSYAH", "SANJAYA",
    ];
    /// First names of Javanese women born from 1995.
    pub(super) const JAVA_YOUNG_F: &[&str] = &[
        "PUTRI", "AYU", "INDAH", "NOVITA", "WULAN", "ANISA", "FITRI", "DESI", "NADIA", "SALSABILA", "AULIA",
        "DINDA", "ZAHRA", "AMALIA", "LAILA", "NABILA", "RIZKA", "TIARA",
    ];
    /// Second names of Javanese women born from 1995.
    pub(super) const JAVA_YOUNG_SURNAME_F: &[&str] = &[
        "LESTARI", "RAHMAWATI", "WULANDARI", "PERMATASARI", "KURNIASARI", "NINGRUM", "ANGGRAINI", "SAFITRI",
        "PRATIWI", "MAHARANI", "AMELIA", "PUSPITASARI", "OKTAVIANI", "RAMADHANI",
    ];
    /// Baptismal names Christian Javanese men put first.
    pub(super) const BAPTISMAL_M: &[&str] = &[
        "YOHANES", "FRANSISKUS", "AGUSTINUS", "ANTONIUS", "PAULUS", "PETRUS", "YOSEF", "STEFANUS", "MARKUS",
        "IGNATIUS",
    ];
    /// Baptismal names Christian Javanese women put first.
    pub(super) const BAPTISMAL_F: &[&str] = &[
        "MARIA", "MAGDALENA", "CHATARINA", "THERESIA", "AGNES", "BERNADETTA", "VERONIKA", "YOHANA", "MONIKA",
    ];
    /// Triwangsa titles of Balinese men (replace the birth-order name).
    pub(super) const BALI_TITLE_M: &[&str] = &[
        "I GUSTI NGURAH", "I GUSTI BAGUS", "ANAK AGUNG GEDE", "IDA BAGUS", "I GUSTI MADE",
    ];
    /// Triwangsa titles of Balinese women.
    pub(super) const BALI_TITLE_F: &[&str] = &[
        "I GUSTI AYU", "ANAK AGUNG ISTRI", "IDA AYU", "DESAK MADE", "I GUSTI AYU PUTU",
    ];
    /// Middle names of Balinese men.
    pub(super) const BALI_MIDDLE_M: &[&str] = &[
        "AGUS", "EKA", "ADI", "BAGUS", "DWI", "ARI", "YOGA", "SURYA",
    ];
    /// Middle names of Balinese women.
    pub(super) const BALI_MIDDLE_F: &[&str] = &[
        "AYU", "DIAH", "SRI", "EKA", "DWI", "ARI", "INTAN", "MIRAH",
    ];
    /// Given names of Balinese men.
    pub(super) const BALI_GIVEN_M: &[&str] = &[
        "SUDARSANA", "ADNYANA", "ARTAWAN", "SUARDANA", "WIRAWAN", "SUKADANA", "MERTAYASA", "PARWATA", "ASTAWA",
        "BUDIARTA", "DARMAWAN", "SANJAYA", "ARIAWAN", "WIDIANA", "SUPARTA", "KARIASA", "SUMERTA", "SUDIARSA",
        "GUNAWAN", "SURYAWAN", "ARDANA", "SUWITRA", "ANTARA", "WARDANA", "SUDANA", "DARMAYASA", "SUARJANA",
        "WIRATA",
    ];
    /// Given names of Balinese women.
    pub(super) const BALI_GIVEN_F: &[&str] = &[
        "ARIANI", "SUARTINI", "SRIASIH", "WIDIASTUTI", "SUKERTI", "ASTITI", "DEWI", "PURNAMI", "ARTINI",
        "SUDIARTI", "MERTASARI", "WIDYANI", "SUARNI", "KARTIKA", "SUSANTI", "YULIANTARI", "MAHARANI",
        "LISTIANI", "PUSPITA", "ADNYANI", "WIDIASIH", "SUWENDRI", "PARWATI", "SUKARMI",
    ];
    /// What follows MUHAMMAD in Banjar men's names.
    pub(super) const BANJAR_AFTER_MUHAMMAD: &[&str] = &[
        "RAHMADI", "NOOR", "RIDHA", "ARIFIN", "FAUZI", "HASAN", "IQBAL", "SYAHRIL", "RIZANI", "YUSUF", "FADLI",
        "ZAINI",
    ];
    /// What follows AHMAD in Banjar men's names.
    pub(super) const BANJAR_AFTER_AHMAD: &[&str] = &[
        "FAUZAN", "YANI", "RIJANI", "SYARIFUDDIN", "MUHLIS", "NAWAWI", "JUHRI", "SAUFI",
    ];
    /// Other Banjar men's names.
    pub(super) const BANJAR_M: &[&str] = &[
        "RAHMAT", "HAMDAN", "NORDIN", "MISRANSYAH", "ARBAINSYAH", "RUSDIANSYAH", "FAHRIANSYAH", "SYAHRANI",
        "JUMBERI", "ASRANI", "HERMANSYAH", "MAHLI", "ABDUL HADI", "ABDUL RAHMAN", "ABDUL MAJID", "GUSTI IRHAM",
        "SAPRUDIN", "ASPIANI",
    ];
    /// What follows SITI in Banjar women's names.
    pub(super) const BANJAR_AFTER_SITI: &[&str] = &[
        "NORHAYATI", "RAHMAH", "AISYAH", "HALIMAH", "NORJANAH", "MASITAH", "FATIMAH", "KHADIJAH", "SALAMAH",
        "AMINAH",
    ];
    /// What follows NOOR in Banjar women's names.
    pub(super) const BANJAR_AFTER_NOOR: &[&str] = &[
        "AINAH", "HASANAH", "LATIFAH", "JANNAH", "HIDAYAH",
    ];
    /// Other Banjar women's names.
    pub(super) const BANJAR_F: &[&str] = &[
        "NORLIANI", "MASLIANI", "JUMIATI", "SALMAH", "NORMILAWATI", "FITRIANI", "RABIATUL ADAWIYAH", "MAHMUDAH",
        "NURHALIZAH", "ZAINAB", "ARBAIAH", "RUSMINAH", "HERLIANI", "NORSIDAH", "RAHMAWATI",
    ];
    /// Traditional one-word Dayak Ngaju names of older people.
    pub(super) const DAYAK_SINGLE: &[&str] = &[
        "SABRAN", "BUNGAI", "LIBER", "TAMBUN", "NYAMING", "LANGKAI", "UNTUNG", "TIMBANG", "DAMANG",
    ];
    /// Given names of Dayak men (mostly Christian).
    pub(super) const DAYAK_GIVEN_M: &[&str] = &[
        "YOHANES", "ARDIANTO", "SEPTIANUS", "MARKUS", "YULIUS", "ANTONIUS", "FRANSISKUS", "SUPRIANTO", "HENDRI",
        "ELIAS", "YOSUA", "NATANAEL", "DEDI", "GUNTUR", "RIKO", "BERTO",
    ];
    /// Given names of Dayak women.
    pub(super) const DAYAK_GIVEN_F: &[&str] = &[
        "MARIANA", "NATALIA", "ELVINA", "RIBKA", "YULIANA", "DESI", "LISMAWATI", "ESTER", "SERLY", "HERLINA",
        "DEBORA", "MERRY", "YUNITA", "OKTAVIANI",
    ];
    /// Dayak Ngaju family names.
    pub(super) const DAYAK_FAMILY: &[&str] = &[
        "SABRAN", "BUNGAI", "LIBER", "TAMBUN", "MIHING", "NAHAN", "ANDEN", "ISAN", "LAMBUNG", "UJAN", "NYAHU",
        "BIHING", "TINGANG", "SAHAY", "DOHONG", "KUNUM", "RANGKAP", "ANGKU",
    ];
    /// Dusun (hamlet) names in Bantul.
    pub(super) const JAVA_DUSUN: &[&str] = &[
        "KARANGJATI", "PANDES", "NGOTO", "GLUGO", "KRAPYAK", "BEJI", "PLEMBUTAN", "NGENTAK", "JOTAWANG",
        "KARANGSEMUT", "SOROWAJAN", "JAGALAN", "KEPUH", "DONGKELAN", "BRAJAN", "SUDIMORO", "KENTENG",
        "GEDONGAN", "KAUMAN", "KRAJAN", "SANGGRAHAN", "TEGALREJO", "PUNDUNG", "DAGAN", "BANTULAN",
        "CEPOKOJAJAR",
    ];
    /// Roads of Bantul with their kilometre range.
    pub(super) const JAVA_ROADS: &[(&str, i64, i64)] = &[
        ("PARANGTRITIS", 3, 25), ("IMOGIRI TIMUR", 4, 15), ("IMOGIRI BARAT", 4, 12), ("BANTUL", 5, 12),
        ("SAMAS", 10, 22), ("WONOSARI", 8, 14), ("WATES", 6, 14),
    ];
    /// First words of housing estate (perumahan) names.
    pub(super) const JAVA_PERUM: &[&str] = &[
        "GRIYA", "PURI", "TAMAN", "BUMI", "GRAHA",
    ];
    /// Banjar (Balinese hamlet) names.
    pub(super) const BALI_BANJAR: &[&str] = &[
        "DINAS KELOD", "DINAS KAJA", "TEGAL", "ANYAR", "CEPAKA", "DAUH PEKEN", "DANGIN PEKEN", "PANGKUNG",
        "BEDHA", "SAMPUAN", "KEBON", "TENGAH", "GEGELANG", "DELOD RURUNG", "PACUNG", "PUSEH", "SEMA", "BUNUTAN",
    ];
    /// Street names in Tabanan.
    pub(super) const BALI_STREETS: &[&str] = &[
        "RAYA SELEMADEG", "GATOT SUBROTO", "PAHLAWAN", "DIPONEGORO", "RAYA KEDIRI", "RAYA BATURITI",
        "GUNUNG AGUNG", "UDAYANA", "TAMAN BAKTI",
    ];
    /// Street names in Kuala Kapuas.
    pub(super) const KALIMANTAN_STREETS: &[&str] = &[
        "TAMBUN BUNGAI", "PATIH RUMBIH", "SEI PASAH", "MAWAR", "BARITO", "KAPUAS", "MAHAKAM", "A. YANI",
        "SEILAS", "PANDAWA", "CILIK RIWUT", "RAHADI USMAN", "KASTURI",
    ];
}
