-- The population table sigap's PostgreSQL adapter reads (docs/verification.md,
-- "The population database"): the columns of the Parquet snapshot, one row per
-- resident. Point population.table at a view with these columns instead if
-- the SIAK replica names them differently.
--
-- sigap reads nik, kk_number, name, birth_date, sex, district_code,
-- marital_status, biometric_recorded and status. It joins on nik, so nik must
-- be indexed (the primary key here). It needs only SELECT on the table and
-- the right to create temporary tables (TEMP on the database).
--
--   psql "$SIGAP_POPULATION_URL" -f pipeline/sql/population.sql
--   psql "$SIGAP_POPULATION_URL" -c "\copy penduduk FROM 'export.csv' CSV HEADER"

CREATE TABLE IF NOT EXISTS penduduk (
    nik                   text PRIMARY KEY CHECK (nik ~ '^[0-9]{16}$'),
    kk_number             text NOT NULL CHECK (kk_number ~ '^[0-9]{16}$'),
    name                  text NOT NULL,           -- as on the KK, upper case
    birth_place           text,
    birth_date            date NOT NULL,
    sex                   text NOT NULL CHECK (sex IN ('L', 'P')),
    address               text,                    -- street / dusun
    rt                    text,                    -- e.g. 003
    rw                    text,
    village_code          text,                    -- Kemendagri PP.KK.CC.DDDD
    district_code         text NOT NULL,           -- Kemendagri PP.KK.CC, current domicile
    religion              text,
    occupation            text,
    marital_status        text NOT NULL
        CHECK (marital_status IN ('BELUM KAWIN', 'KAWIN', 'CERAI HIDUP', 'CERAI MATI')),
    biometric_recorded    boolean NOT NULL,        -- perekaman done centrally
    status                text NOT NULL CHECK (status IN ('AKTIF', 'MENINGGAL', 'PINDAH')),
    last_card_printed_at  date
);
