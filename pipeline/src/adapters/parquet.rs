//! The Parquet snapshot adapter: a polars lazy scan of only the columns
//! verification reads, joined once with the batch's NIKs.
//!
//! The NIK is compared as a u64 (about twice as fast as a string key). The
//! batch is the join's build side and the snapshot streams past it, so
//! memory follows the batch and the matches, not the snapshot's size.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::{
    Column, DataFrame, DataType, Engine, IntoLazy, JoinArgs, JoinBuildSide, JoinType, LazyFrame,
    PlRefPath, PolarsError, ScanArgsParquet, col,
};

use crate::ports::{CARD_COLUMNS, COLUMNS, CardDetails, Person, PopulationDb, PopulationError};

/// A Parquet snapshot (SIAK export) with the columns of
/// `pipeline/sql/population.sql`.
#[derive(Debug, Clone)]
pub struct ParquetDb {
    path: PathBuf,
}

impl ParquetDb {
    /// The snapshot at `path`; it is read on each lookup.
    pub fn new(path: PathBuf) -> ParquetDb {
        ParquetDb { path }
    }

    /// The snapshot file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn query(&self, niks: &[u64], columns: &[&str]) -> Result<DataFrame, PolarsError> {
        let path = PlRefPath::try_from_path(&self.path)?;
        let snapshot = LazyFrame::scan_parquet(path, ScanArgsParquet::default())?.select(
            columns
                .iter()
                .map(|c| match *c {
                    // Non-strict: a NIK that is not a number becomes null and matches nothing.
                    "nik" => col("nik").cast(DataType::UInt64),
                    c => col(c),
                })
                .collect::<Vec<_>>(),
        );
        let batch = DataFrame::new(niks.len(), vec![Column::new("nik".into(), niks.to_vec())])?;
        let args = JoinArgs::new(JoinType::Inner).with_build_side(Some(JoinBuildSide::ForceLeft));
        batch
            .lazy()
            .join(snapshot, [col("nik")], [col("nik")], args)
            .collect_with_engine(Engine::Streaming)
            .map(|r| r.unwrap_single())
    }
}

impl ParquetDb {
    /// The batch's rows with `columns`, after checking the file is there.
    fn joined(&self, niks: &[u64], columns: &[&str]) -> Result<DataFrame, PopulationError> {
        if !self.path.is_file() {
            return Err(PopulationError::SnapshotMissing {
                path: self.path.clone(),
            });
        }
        let mut unique = niks.to_vec();
        unique.sort_unstable();
        unique.dedup();
        self.query(&unique, columns)
            .map_err(|source| self.err(source))
    }

    fn err(&self, source: PolarsError) -> PopulationError {
        PopulationError::Parquet {
            path: self.path.clone(),
            source: source.into(),
        }
    }
}

impl PopulationDb for ParquetDb {
    fn lookup(&mut self, niks: &[u64]) -> Result<Vec<Person>, PopulationError> {
        let df = self.joined(niks, &COLUMNS)?;
        people(&df).map_err(|source| self.err(source))
    }

    fn card_details(&mut self, niks: &[u64]) -> Result<Vec<CardDetails>, PopulationError> {
        let df = self.joined(niks, &CARD_COLUMNS)?;
        card_details(&df).map_err(|source| self.err(source))
    }

    fn describe(&self) -> String {
        format!("Parquet snapshot {}", self.path.display())
    }
}

/// The joined frame as persons.
fn people(df: &DataFrame) -> Result<Vec<Person>, PolarsError> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let text = |c: &str| df.column(c).and_then(|c| c.str().cloned());
    let nik = df.column("nik")?.u64()?.clone();
    let (kk, name, sex, district, marital, status) = (
        text("kk_number")?,
        text("name")?,
        text("sex")?,
        text("district_code")?,
        text("marital_status")?,
        text("status")?,
    );
    let birth = df
        .column("birth_date")?
        .cast(&DataType::Int32)?
        .i32()?
        .clone();
    let recorded = df.column("biometric_recorded")?.bool()?.clone();
    let owned = |v: Option<&str>| v.unwrap_or_default().to_string();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(n) = nik.get(i) else { continue };
        out.push(Person {
            nik: n,
            kk_number: owned(kk.get(i)),
            name: owned(name.get(i)),
            birth_date: birth
                .get(i)
                .map(|d| epoch + chrono::Duration::days(i64::from(d))),
            sex: owned(sex.get(i)),
            district_code: owned(district.get(i)),
            marital_status: owned(marital.get(i)),
            biometric_recorded: recorded.get(i).unwrap_or(false),
            status: owned(status.get(i)),
        });
    }
    Ok(out)
}

/// The joined frame as card details.
fn card_details(df: &DataFrame) -> Result<Vec<CardDetails>, PolarsError> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let nik = df.column("nik")?.u64()?.clone();
    let birth = df
        .column("birth_date")?
        .cast(&DataType::Int32)?
        .i32()?
        .clone();
    let texts: Vec<_> = CARD_COLUMNS
        .iter()
        .filter(|c| !matches!(**c, "nik" | "birth_date"))
        .map(|c| Ok((*c, df.column(c)?.str()?.clone())))
        .collect::<Result<_, PolarsError>>()?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let Some(n) = nik.get(i) else { continue };
        let text = |name: &str| {
            texts
                .iter()
                .find(|(c, _)| *c == name)
                .and_then(|(_, s)| s.get(i))
                .unwrap_or_default()
                .to_string()
        };
        out.push(CardDetails {
            nik: n,
            name: text("name"),
            birth_place: text("birth_place"),
            birth_date: birth
                .get(i)
                .map(|d| epoch + chrono::Duration::days(i64::from(d))),
            sex: text("sex"),
            address: text("address"),
            rt: text("rt"),
            rw: text("rw"),
            village_code: text("village_code"),
            district_code: text("district_code"),
            religion: text("religion"),
            occupation: text("occupation"),
            marital_status: text("marital_status"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use polars::prelude::{ParquetWriter, df};

    use super::*;

    fn write(path: &Path, mut frame: DataFrame) {
        ParquetWriter::new(std::fs::File::create(path).unwrap())
            .finish(&mut frame)
            .unwrap();
    }

    #[test]
    fn one_lookup_returns_exactly_the_batch_s_residents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.parquet");
        let frame = df!(
            "nik" => ["3402151708900001", "3402155708900002", "not a nik", "3402151708900003"],
            "kk_number" => ["3402150512150003"; 4],
            "name" => ["BUDI SANTOSO", "SITI AMINAH", "X", "AGUS SALIM"],
            "birth_place" => ["BANTUL"; 4],
            "birth_date" => [7533i32, 7533, 0, 7533],
            "sex" => ["L", "P", "L", "L"],
            "district_code" => ["34.02.15"; 4],
            "marital_status" => ["KAWIN", "BELUM KAWIN", "KAWIN", "KAWIN"],
            "biometric_recorded" => [true, false, true, true],
            "status" => ["AKTIF", "AKTIF", "AKTIF", "PINDAH"],
        )
        .unwrap();
        let frame = frame
            .lazy()
            .with_column(col("birth_date").cast(DataType::Date))
            .collect()
            .unwrap();
        write(&path, frame);
        let mut db = ParquetDb::new(path.clone());
        let mut found = db
            .lookup(&[
                3402155708900002,
                3402151708900001,
                3402151708900001,
                3402159999999999,
            ])
            .unwrap();
        found.sort_by_key(|p| p.nik);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "BUDI SANTOSO");
        assert_eq!(found[0].birth_date, NaiveDate::from_ymd_opt(1990, 8, 17));
        assert_eq!(
            (found[1].sex.as_str(), found[1].biometric_recorded),
            ("P", false)
        );
        assert!(db.lookup(&[]).unwrap().is_empty());
        assert!(db.describe().contains("population.parquet"));
    }

    #[test]
    fn a_missing_file_or_column_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("population.parquet");
        let e = ParquetDb::new(path.clone()).lookup(&[1]).unwrap_err();
        assert!(matches!(e, PopulationError::SnapshotMissing { .. }));
        assert!(e.to_string().contains("population.parquet does not exist"));
        write(&path, df!("nik" => ["3402151708900001"]).unwrap());
        let e = ParquetDb::new(path)
            .lookup(&[3402151708900001])
            .unwrap_err();
        assert!(matches!(e, PopulationError::Parquet { .. }), "{e:?}");
        assert!(e.to_string().contains("population.parquet"), "{e}");
    }
}
