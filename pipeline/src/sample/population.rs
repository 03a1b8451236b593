//! The population snapshot: households generated one after another and
//! written to Parquet in fixed-size chunks, so memory stays bounded at any
//! size. While rows stream past, reservoir samples keep the residents the
//! applications will be about (clean adults, the deceased, ...).

use std::collections::HashMap;
use std::io::BufWriter;
use std::path::Path;

use serde::{Deserialize, Serialize};

use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::{
    BooleanChunkedBuilder, ChunkedBuilder, DataFrame, Int32Type, IntoColumn, ParquetWriter,
    PlSmallStr, PolarsError, PrimitiveChunkedBuilder, StringChunkedBuilder,
};

use super::error::SampleError;
use super::names::{self, BELUM_KAWIN, CERAI_HIDUP, CERAI_MATI, KAWIN, Region};
use super::rng::Rng;
use crate::domain::nik::{Sex, compose_kk, compose_nik};
use crate::files::{FileError, write_atomic_private_with};

/// Rows per Parquet row group: big enough for good compression, small
/// enough that one chunk of builders stays in the low hundreds of MB.
const CHUNK_ROWS: usize = 500_000;

/// Days of the submission window: the 7 days before `as_of`. Residents
/// are generated so that their ages hold across it.
pub(crate) const WINDOW_DAYS: i64 = 7;

/// Counts of the population snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationSummary {
    /// The snapshot, relative to the office directory.
    pub file: String,
    /// Rows.
    pub residents: u64,
    /// Households (distinct KK numbers).
    pub families: u64,
    /// Status `MENINGGAL`.
    pub deceased: u64,
    /// Status `PINDAH`.
    pub moved_out: u64,
    /// `biometric_recorded = false`.
    pub not_recorded: u64,
    /// Under 17 on `as_of` and `BELUM KAWIN`.
    pub under_17_unmarried: u64,
    /// Under 17 on `as_of` and married.
    pub under_17_married: u64,
}

/// Status values of the snapshot.
pub(crate) const AKTIF: &str = "AKTIF";
const MENINGGAL: &str = "MENINGGAL";
const PINDAH: &str = "PINDAH";

/// A kecamatan of the kabupaten with its villages.
#[derive(Debug, Clone)]
pub(crate) struct DistrictInfo {
    /// Dotted code, `34.02.15`.
    pub code: String,
    /// (dotted village code, village name), in code order.
    pub villages: Vec<(String, String)>,
}

/// What the applications need to know about one resident.
#[derive(Debug, Clone)]
pub(crate) struct Resident {
    /// NIK.
    pub nik: String,
    /// KK number of the household.
    pub kk: String,
    /// The KK's registration date.
    pub kk_registered: NaiveDate,
    /// The KK's serial.
    pub kk_serial: u16,
    /// Name as in the snapshot.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Dotted code of the kecamatan of domicile (also the KK's).
    pub district_code: String,
    /// Religion as on the KTP.
    pub religion: &'static str,
    /// Age on `as_of`.
    pub age: u32,
    /// Whether a KTP-el was ever printed.
    pub has_card: bool,
}

/// How many residents of each kind to keep for the applications.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PoolSizes {
    /// See [`Pools::clean`].
    pub clean: usize,
    /// See [`Pools::young_married`].
    pub young_married: usize,
    /// See [`Pools::underage`].
    pub underage: usize,
    /// See [`Pools::deceased`].
    pub deceased: usize,
    /// See [`Pools::moved_out`].
    pub moved_out: usize,
    /// See [`Pools::not_recorded`].
    pub not_recorded: usize,
    /// See [`Pools::history`].
    pub history: usize,
}

/// Uniform samples of residents by kind (reservoir sampling, so every
/// eligible resident of a 10-million snapshot had the same chance).
#[derive(Debug, Default)]
pub(crate) struct Pools {
    /// AKTIF, recorded, 17 or older.
    pub clean: Vec<Resident>,
    /// AKTIF, recorded, under 17 and married: may apply.
    pub young_married: Vec<Resident>,
    /// AKTIF, recorded, under 17, unmarried: too young for a KTP-el.
    pub underage: Vec<Resident>,
    /// MENINGGAL, recorded, adult.
    pub deceased: Vec<Resident>,
    /// PINDAH, recorded, adult.
    pub moved_out: Vec<Resident>,
    /// AKTIF, adult, perekaman not done.
    pub not_recorded: Vec<Resident>,
    /// Like `clean`, none of them in `clean`: the applicants of the
    /// `--weeks` history, so their cards can be printed and archived.
    pub history: Vec<Resident>,
}

/// The next free serials of NIKs and KK numbers, kept after the snapshot
/// is written so that invented numbers are guaranteed not to exist.
#[derive(Debug, Default)]
pub(crate) struct SerialBook {
    nik: HashMap<u64, u16>,
    kk: HashMap<u64, u16>,
}

fn day_key(date: NaiveDate) -> u64 {
    // Days from 0001-01-01: always positive for the dates used here.
    u64::try_from(date.num_days_from_ce()).unwrap_or(0)
}

impl SerialBook {
    /// The next NIK serial for (kecamatan, birth date, sex), or `None`
    /// when all 9999 are taken.
    pub(crate) fn next_nik(&mut self, district: usize, birth: NaiveDate, sex: Sex) -> Option<u16> {
        let key = ((district as u64) << 32) | (day_key(birth) << 1) | u64::from(sex == Sex::P);
        next(self.nik.entry(key).or_insert(0))
    }

    /// The next KK serial for (kecamatan, registration date).
    pub(crate) fn next_kk(&mut self, district: usize, registered: NaiveDate) -> Option<u16> {
        let key = ((district as u64) << 32) | day_key(registered);
        next(self.kk.entry(key).or_insert(0))
    }
}

fn next(counter: &mut u16) -> Option<u16> {
    if *counter >= 9999 {
        return None;
    }
    *counter += 1;
    Some(*counter)
}

/// Everything the rest of the generator needs from the snapshot.
pub(crate) struct Generated {
    /// The snapshot's counts.
    pub summary: PopulationSummary,
    /// The sampled residents.
    pub pools: Pools,
    /// Serials in use, to invent numbers that do not exist.
    pub serials: SerialBook,
}

/// Age in whole years on `on`.
pub(crate) fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years.max(0)).unwrap_or(0)
}

/// `date` moved back by whole years (29 Feb becomes 28 Feb when needed).
pub(crate) fn years_before(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(years * 12))
        .unwrap_or(date)
}

/// A birth date that makes someone exactly `age` on `as_of`.
pub(crate) fn birth_date_for_age(as_of: NaiveDate, age: u32, rng: &mut Rng) -> NaiveDate {
    let latest = years_before(as_of, age);
    let earliest = years_before(as_of, age + 1).succ_opt().unwrap_or(latest);
    let span = (latest - earliest).num_days();
    earliest + chrono::Duration::days(rng.range(0, span))
}

/// One person of a household before numbers are given out.
struct Member {
    sex: Sex,
    age: u32,
    marital: &'static str,
    birth_order: u32,
}

/// The column builders of one chunk.
struct Columns {
    len: usize,
    nik: StringChunkedBuilder,
    kk_number: StringChunkedBuilder,
    name: StringChunkedBuilder,
    birth_place: StringChunkedBuilder,
    birth_date: PrimitiveChunkedBuilder<Int32Type>,
    sex: StringChunkedBuilder,
    address: StringChunkedBuilder,
    rt: StringChunkedBuilder,
    rw: StringChunkedBuilder,
    village_code: StringChunkedBuilder,
    district_code: StringChunkedBuilder,
    religion: StringChunkedBuilder,
    occupation: StringChunkedBuilder,
    marital_status: StringChunkedBuilder,
    biometric_recorded: BooleanChunkedBuilder,
    status: StringChunkedBuilder,
    last_card_printed_at: PrimitiveChunkedBuilder<Int32Type>,
}

fn s(name: &str, cap: usize) -> StringChunkedBuilder {
    StringChunkedBuilder::new(PlSmallStr::from_str(name), cap)
}

fn epoch_days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    i32::try_from((d - epoch).num_days()).unwrap_or(0)
}

impl Columns {
    fn new(cap: usize) -> Columns {
        Columns {
            len: 0,
            nik: s("nik", cap),
            kk_number: s("kk_number", cap),
            name: s("name", cap),
            birth_place: s("birth_place", cap),
            birth_date: PrimitiveChunkedBuilder::new(PlSmallStr::from_str("birth_date"), cap),
            sex: s("sex", cap),
            address: s("address", cap),
            rt: s("rt", cap),
            rw: s("rw", cap),
            village_code: s("village_code", cap),
            district_code: s("district_code", cap),
            religion: s("religion", cap),
            occupation: s("occupation", cap),
            marital_status: s("marital_status", cap),
            biometric_recorded: BooleanChunkedBuilder::new(
                PlSmallStr::from_str("biometric_recorded"),
                cap,
            ),
            status: s("status", cap),
            last_card_printed_at: PrimitiveChunkedBuilder::new(
                PlSmallStr::from_str("last_card_printed_at"),
                cap,
            ),
        }
    }

    /// The chunk as a DataFrame, columns in the order of the SIAK export
    /// (`pipeline/sql/population.sql` lists the same columns).
    fn finish(self) -> Result<DataFrame, PolarsError> {
        let columns = vec![
            self.nik.finish().into_column(),
            self.kk_number.finish().into_column(),
            self.name.finish().into_column(),
            self.birth_place.finish().into_column(),
            self.birth_date.finish().into_date().into_column(),
            self.sex.finish().into_column(),
            self.address.finish().into_column(),
            self.rt.finish().into_column(),
            self.rw.finish().into_column(),
            self.village_code.finish().into_column(),
            self.district_code.finish().into_column(),
            self.religion.finish().into_column(),
            self.occupation.finish().into_column(),
            self.marital_status.finish().into_column(),
            self.biometric_recorded.finish().into_column(),
            self.status.finish().into_column(),
            self.last_card_printed_at.finish().into_date().into_column(),
        ];
        DataFrame::new(self.len, columns)
    }
}

/// A reservoir sample of fixed size.
struct Reservoir {
    want: usize,
    seen: u64,
    items: Vec<Resident>,
}

impl Reservoir {
    fn new(want: usize) -> Reservoir {
        Reservoir {
            want,
            seen: 0,
            items: Vec::with_capacity(want.min(1 << 20)),
        }
    }

    /// Algorithm R; `make` runs only when the resident is kept, so the
    /// millions passed over cost no allocation.
    fn offer(&mut self, rng: &mut Rng, make: impl FnOnce() -> Resident) {
        self.seen += 1;
        if self.want == 0 {
            return;
        }
        if self.items.len() < self.want {
            self.items.push(make());
        } else {
            let j = rng.below(self.seen) as usize;
            if j < self.want {
                self.items[j] = make();
            }
        }
    }
}

/// The generator's state while households stream out.
struct Generator<'a> {
    as_of: NaiveDate,
    /// The first day an application can be submitted.
    window_start: NaiveDate,
    region: Region,
    districts: &'a [DistrictInfo],
    rng: Rng,
    pick_rng: Rng,
    serials: SerialBook,
    summary: PopulationSummary,
    clean: Reservoir,
    young_married: Reservoir,
    underage: Reservoir,
    deceased: Reservoir,
    moved_out: Reservoir,
    not_recorded: Reservoir,
    history_rng: Rng,
    history: Reservoir,
}

/// Writes `path` (mode 0600, via a temp file renamed into place) with
/// `residents` rows and returns counts, samples and the serial book.
pub(crate) fn write(
    path: &Path,
    districts: &[DistrictInfo],
    region: Region,
    as_of: NaiveDate,
    residents: u64,
    seed: u64,
    sizes: PoolSizes,
) -> Result<Generated, SampleError> {
    let parquet_err = |source| SampleError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let mut g = Generator {
        as_of,
        window_start: as_of - chrono::Duration::days(WINDOW_DAYS),
        region,
        districts,
        rng: Rng::new(seed, 0x0050_4f50),
        pick_rng: Rng::new(seed, 0x5049_434b),
        serials: SerialBook::default(),
        summary: PopulationSummary::default(),
        clean: Reservoir::new(sizes.clean),
        young_married: Reservoir::new(sizes.young_married),
        underage: Reservoir::new(sizes.underage),
        deceased: Reservoir::new(sizes.deceased),
        moved_out: Reservoir::new(sizes.moved_out),
        not_recorded: Reservoir::new(sizes.not_recorded),
        // Its own random stream: without a history (size 0) the other
        // pools are exactly what they were.
        history_rng: Rng::new(seed, 0x4849_5350),
        history: Reservoir::new(sizes.history),
    };
    write_atomic_private_with(path, |file| -> Result<(), SampleError> {
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let schema = Columns::new(0)
            .finish()
            .map_err(parquet_err)?
            .schema()
            .as_ref()
            .clone();
        let mut writer = ParquetWriter::new(&mut out)
            .batched(&schema)
            .map_err(parquet_err)?;
        let mut remaining = residents;
        let mut household = 0u64;
        let mut columns =
            Columns::new(CHUNK_ROWS.min(usize::try_from(residents).unwrap_or(CHUNK_ROWS)));
        while remaining > 0 {
            let added = g.household(household, remaining, &mut columns);
            remaining -= added;
            household += 1;
            if columns.len >= CHUNK_ROWS {
                let full = std::mem::replace(&mut columns, Columns::new(CHUNK_ROWS));
                writer
                    .write_batch(&full.finish().map_err(parquet_err)?)
                    .map_err(parquet_err)?;
            }
        }
        if columns.len > 0 {
            writer
                .write_batch(&columns.finish().map_err(parquet_err)?)
                .map_err(parquet_err)?;
        }
        writer.finish().map_err(parquet_err)?;
        g.summary.families = household;
        out.into_inner()
            .map_err(|e| SampleError::File(FileError::new(path, e.into_error())))?;
        Ok(())
    })?;
    let Generator {
        summary,
        serials,
        clean,
        young_married,
        underage,
        deceased,
        moved_out,
        not_recorded,
        history,
        ..
    } = g;
    let taken: std::collections::HashSet<&str> =
        clean.items.iter().map(|r| r.nik.as_str()).collect();
    let history: Vec<Resident> = history
        .items
        .into_iter()
        .filter(|r| !taken.contains(r.nik.as_str()))
        .collect();
    Ok(Generated {
        summary,
        serials,
        pools: Pools {
            clean: clean.items,
            young_married: young_married.items,
            underage: underage.items,
            deceased: deceased.items,
            moved_out: moved_out.items,
            not_recorded: not_recorded.items,
            history,
        },
    })
}

impl Generator<'_> {
    /// The members of household number `index`: ages and roles only.
    fn members(&mut self, index: u64) -> Vec<Member> {
        let rng = &mut self.rng;
        let mut out = Vec::with_capacity(6);
        let member = |sex, age, marital, birth_order| Member {
            sex,
            age,
            marital,
            birth_order,
        };
        // A fixed sprinkling of couples married before 17, so every
        // snapshot of a few hundred households has some.
        if index % 300 == 17 {
            let order = rng.range(1, 3) as u32;
            out.push(member(Sex::L, rng.range(18, 24) as u32, KAWIN, order));
            out.push(member(
                Sex::P,
                rng.range(15, 16) as u32,
                KAWIN,
                rng.range(1, 3) as u32,
            ));
            return out;
        }
        match rng.weighted(&[14, 16, 56, 9, 5]) {
            0 => {
                let age = match rng.weighted(&[40, 30, 30]) {
                    0 => rng.range(19, 30),
                    1 => rng.range(31, 60),
                    _ => rng.range(61, 88),
                } as u32;
                let marital = match age {
                    ..=30 => BELUM_KAWIN,
                    31..=60 => [BELUM_KAWIN, CERAI_HIDUP, CERAI_MATI][rng.weighted(&[40, 35, 25])],
                    _ => [CERAI_MATI, CERAI_HIDUP, BELUM_KAWIN][rng.weighted(&[75, 15, 10])],
                };
                let sex = if rng.chance(5_000) { Sex::L } else { Sex::P };
                out.push(member(sex, age, marital, rng.range(1, 4) as u32));
            }
            1 => {
                let husband = if rng.chance(5_000) {
                    rng.range(20, 35)
                } else {
                    rng.range(55, 85)
                } as u32;
                let wife = husband.saturating_sub(rng.range(0, 6) as u32).max(18);
                out.push(member(Sex::L, husband, KAWIN, rng.range(1, 4) as u32));
                out.push(member(Sex::P, wife, KAWIN, rng.range(1, 4) as u32));
            }
            2 => {
                let father = rng.range(28, 72) as u32;
                let mother = father.saturating_sub(rng.range(0, 7) as u32).max(22);
                out.push(member(Sex::L, father, KAWIN, rng.range(1, 4) as u32));
                out.push(member(Sex::P, mother, KAWIN, rng.range(1, 4) as u32));
                let n = [1, 2, 3, 4][rng.weighted(&[30, 35, 22, 13])];
                Self::children(rng, mother, n, &mut out);
            }
            3 => {
                let age = rng.range(35, 75) as u32;
                let sex = if rng.chance(7_000) { Sex::P } else { Sex::L };
                let marital = if age > 55 && rng.chance(7_000) {
                    CERAI_MATI
                } else {
                    CERAI_HIDUP
                };
                out.push(member(sex, age, marital, rng.range(1, 4) as u32));
                let mother = if sex == Sex::P {
                    age
                } else {
                    age.saturating_sub(3)
                };
                let n = rng.range(1, 3) as usize;
                Self::children(rng, mother, n, &mut out);
            }
            _ => {
                let father = rng.range(30, 55) as u32;
                let mother = father.saturating_sub(rng.range(0, 6) as u32).max(22);
                out.push(member(Sex::L, father, KAWIN, rng.range(1, 4) as u32));
                out.push(member(Sex::P, mother, KAWIN, rng.range(1, 4) as u32));
                let n = rng.range(1, 2) as usize;
                Self::children(rng, mother, n, &mut out);
                let elder = (father + rng.range(24, 32) as u32).min(90);
                let sex = if rng.chance(7_000) { Sex::P } else { Sex::L };
                out.push(member(sex, elder, CERAI_MATI, rng.range(1, 4) as u32));
            }
        }
        out
    }

    /// Children of a mother aged `mother`, eldest first. Those under 13
    /// are left out (the snapshot is of people who matter for KTP-el) and
    /// those over 35 have a KK of their own.
    fn children(rng: &mut Rng, mother: u32, n: usize, out: &mut Vec<Member>) {
        let mut age = i64::from(mother) - rng.range(20, 32);
        for order in 1..=u32::try_from(n).unwrap_or(u32::MAX) {
            if age < 13 {
                break;
            }
            if age <= 35 {
                let sex = if rng.chance(5_100) { Sex::L } else { Sex::P };
                let marital = if age > 25 && rng.chance(500) {
                    CERAI_HIDUP
                } else {
                    BELUM_KAWIN
                };
                out.push(Member {
                    sex,
                    age: age as u32,
                    marital,
                    birth_order: order,
                });
            }
            age -= rng.range(2, 6);
        }
    }

    /// Generates household `index`, appends at most `room` of its members
    /// to `columns` and returns how many it appended.
    fn household(&mut self, index: u64, room: u64, columns: &mut Columns) -> u64 {
        let members = self.members(index);
        let districts = self.districts;
        let rng = &mut self.rng;
        let district_idx = rng.index(districts.len());
        let district = &districts[district_idx];
        let (village_code, village_name) = rng.pick(&district.villages).clone();
        let (street, rt, rw) = names::address(self.region, &village_name, rng);
        let (culture, religion) = names::household_culture(self.region, rng);
        let family = names::family_name(culture, rng);
        let as_of = self.as_of;

        // The KK was registered some time after the head came of age
        // (recently for young couples), never in the last few weeks.
        let head_age = members.first().map_or(30, |m| m.age);
        let latest = as_of - chrono::Duration::days(20);
        let start = NaiveDate::from_ymd_opt(2005, 1, 1).expect("valid date");
        let earliest = years_before(as_of, head_age.saturating_sub(18))
            .max(start)
            .min(latest);
        let mut registered =
            earliest + chrono::Duration::days(rng.range(0, (latest - earliest).num_days()));
        let kk_serial = loop {
            match self.serials.next_kk(district_idx, registered) {
                Some(serial) => break serial,
                None => registered = registered.pred_opt().unwrap_or(registered),
            }
        };
        let kk = compose_kk(&district.code, registered, kk_serial);

        let mut added = 0;
        for m in members
            .iter()
            .take(usize::try_from(room).unwrap_or(usize::MAX))
        {
            let rng = &mut self.rng;
            let mut birth = birth_date_for_age(as_of, m.age, rng);
            // Most NIKs were issued where the person lives now; some moved
            // within the kabupaten and kept the old kecamatan's number.
            let issued_idx = if rng.chance(9_000) || districts.len() == 1 {
                district_idx
            } else {
                rng.index(districts.len())
            };
            let serial = loop {
                match self.serials.next_nik(issued_idx, birth, m.sex) {
                    Some(serial) => break serial,
                    // All 9999 serials of that day are used: the next day.
                    None => birth = birth.succ_opt().unwrap_or(birth),
                }
            };
            let age = age_on(birth, as_of);
            let nik = compose_nik(&districts[issued_idx].code, birth, m.sex, serial);
            let rng = &mut self.rng;
            let name = names::person_name(
                culture,
                religion,
                m.sex,
                birth.year(),
                m.birth_order,
                family,
                rng,
            );
            let married = m.marital != BELUM_KAWIN;
            let adult = age >= 17;
            let status = if adult {
                let dead = match age {
                    ..=39 => 40,
                    40..=59 => 200,
                    _ => 700,
                };
                let moved = if age <= 60 { 300 } else { 100 };
                if rng.chance(dead) {
                    MENINGGAL
                } else if rng.chance(moved) {
                    PINDAH
                } else {
                    AKTIF
                }
            } else {
                AKTIF
            };
            // Perekaman starts at 16 (or at marriage); a few adults never came.
            let recorded = if adult || married {
                rng.chance(9_700)
            } else if age == 16 {
                rng.chance(5_000)
            } else {
                false
            };
            let last_card = if recorded && (adult || married) && rng.chance(9_400) {
                let ktp_el_start = NaiveDate::from_ymd_opt(2012, 1, 1).expect("valid date");
                let eligible = if adult {
                    birth
                        .checked_add_months(Months::new(17 * 12))
                        .unwrap_or(birth)
                } else {
                    as_of - chrono::Duration::days(300)
                };
                let hi = as_of - chrono::Duration::days(10);
                let lo = eligible.max(ktp_el_start).min(hi);
                Some(lo + chrono::Duration::days(rng.range(0, (hi - lo).num_days())))
            } else {
                None
            };
            let occupation = names::occupation(self.region, m.sex, age, married, rng);
            let birth_place = names::birth_place(self.region, rng);

            columns.nik.append_value(&nik);
            columns.kk_number.append_value(&kk);
            columns.name.append_value(&name);
            columns.birth_place.append_value(birth_place);
            columns.birth_date.append_value(epoch_days(birth));
            columns.sex.append_value(m.sex.code());
            columns.address.append_value(&street);
            columns.rt.append_value(&rt);
            columns.rw.append_value(&rw);
            columns.village_code.append_value(&village_code);
            columns.district_code.append_value(&district.code);
            columns.religion.append_value(religion);
            columns.occupation.append_value(occupation);
            columns.marital_status.append_value(m.marital);
            columns.biometric_recorded.append_value(recorded);
            columns.status.append_value(status);
            columns
                .last_card_printed_at
                .append_option(last_card.map(epoch_days));
            columns.len += 1;
            added += 1;

            let sum = &mut self.summary;
            sum.residents += 1;
            match status {
                MENINGGAL => sum.deceased += 1,
                PINDAH => sum.moved_out += 1,
                _ => {}
            }
            if !recorded {
                sum.not_recorded += 1;
            }
            if !adult {
                if married {
                    sum.under_17_married += 1;
                } else {
                    sum.under_17_unmarried += 1;
                }
            }

            let make = || Resident {
                nik,
                kk: kk.clone(),
                kk_registered: registered,
                kk_serial,
                name,
                sex: m.sex,
                birth_date: birth,
                district_code: district.code.clone(),
                religion,
                age,
                has_card: last_card.is_some(),
            };
            // Verification judges age on the submission date, which can be
            // any day of the window: the adult pools take only those who are
            // 17 on its first day, the underage pool those still under 17 on
            // `as_of`. Whoever turns 17 inside the window applies for nothing.
            let grown = if age_on(birth, self.window_start) >= 17 {
                Some(true)
            } else if !adult {
                Some(false)
            } else {
                None
            };
            let pick = &mut self.pick_rng;
            match (status, recorded, grown, married) {
                (AKTIF, true, Some(true), _) => {
                    if self.history.want > 0 {
                        self.history.offer(&mut self.history_rng, make.clone());
                    }
                    self.clean.offer(pick, make)
                }
                (AKTIF, true, Some(false), true) => self.young_married.offer(pick, make),
                (AKTIF, true, Some(false), false) => self.underage.offer(pick, make),
                (AKTIF, false, Some(true), _) => self.not_recorded.offer(pick, make),
                (MENINGGAL, true, Some(true), _) => self.deceased.offer(pick, make),
                (PINDAH, true, Some(true), _) => self.moved_out.offer(pick, make),
                _ => {}
            }
        }
        added
    }
}
