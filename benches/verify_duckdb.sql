-- sigap's verification written as one DuckDB query, for the benchmark in
-- benches/verify-vs-duckdb. The same checks and the same precedence as
-- pipeline/src/verify (see its module documentation); the result is the
-- count per outcome and per reason. verify_duckdb.py replaces the @NAME@
-- placeholders with file paths and the office's settings.
--
-- Inputs: the applications (RECEIVED ones are decided, the others count as
-- in flight), the document kinds on file, the kinds each service requires,
-- the Kemendagri kecamatan codes and the population snapshot.
WITH
apps_all AS (
    SELECT * FROM read_csv('@APPS@', header = true, quote = '"', columns = {
        'id': 'BIGINT', 'nik': 'VARCHAR', 'kk_number': 'VARCHAR', 'name': 'VARCHAR',
        'birth_date': 'VARCHAR', 'service': 'VARCHAR', 'submitted_at': 'VARCHAR',
        'state': 'VARCHAR'})
),
docs AS (
    SELECT * FROM read_csv('@DOCS@', header = true, columns = {'id': 'BIGINT', 'kind': 'VARCHAR'})
),
required AS (
    SELECT * FROM read_csv('@REQUIRED@', header = true,
        columns = {'service': 'VARCHAR', 'kind': 'VARCHAR'})
),
districts AS (
    SELECT replace(code, '.', '') AS region
    FROM read_csv('@DISTRICTS@', header = true, all_varchar = true)
),
-- NIK and KK as people type them: separators and a leading apostrophe go.
cleaned AS (
    SELECT *,
        regexp_replace(ltrim(trim(nik), '''`’'), '[\s.\-–/]', '', 'g') AS n,
        regexp_replace(ltrim(trim(coalesce(kk_number, '')), '''`’'), '[\s.\-–/]', '', 'g') AS k,
        -- The submission day in the office's timezone.
        make_timestamp(epoch_us(CAST(submitted_at AS TIMESTAMPTZ)) + @OFFSET_HOURS@ * 3600000000)::DATE AS sub_day,
        epoch_us(CAST(submitted_at AS TIMESTAMPTZ)) AS sub_us
    FROM apps_all
),
parts AS (
    SELECT *,
        regexp_full_match(n, '[0-9]{16}') AS n16,
        regexp_full_match(k, '[0-9]{16}') AS k16,
        TRY_CAST(substr(n, 7, 2) AS INT) AS dd, TRY_CAST(substr(n, 9, 2) AS INT) AS mm,
        TRY_CAST(substr(n, 11, 2) AS INT) AS yy,
        TRY_CAST(substr(k, 7, 2) AS INT) AS kdd, TRY_CAST(substr(k, 9, 2) AS INT) AS kmm,
        TRY_CAST(substr(k, 11, 2) AS INT) AS kyy,
        year(sub_day) * 10000 + month(sub_day) * 100 + day(sub_day) AS today
    FROM cleaned
),
days AS (
    SELECT *,
        CASE WHEN dd BETWEEN 1 AND 31 THEN dd WHEN dd BETWEEN 41 AND 71 THEN dd - 40 END AS nday,
        CASE WHEN dd BETWEEN 41 AND 71 THEN 'P' ELSE 'L' END AS nik_sex
    FROM parts
),
dates AS (
    SELECT *,
        -- 20yy unless that is after the submission day, then 19yy.
        try_strptime(printf('%04d-%02d-%02d',
            CASE WHEN (2000 + yy) * 10000 + mm * 100 + nday > today THEN 1900 + yy ELSE 2000 + yy END,
            mm, nday), '%Y-%m-%d')::DATE AS nik_birth,
        try_strptime(printf('%04d-%02d-%02d',
            CASE WHEN (2000 + kyy) * 10000 + kmm * 100 + kdd > today THEN 1900 + kyy ELSE 2000 + kyy END,
            kmm, kdd), '%Y-%m-%d')::DATE AS kk_date
    FROM days
),
apps AS (
    SELECT *,
        coalesce(n16 AND substr(n, 1, 6) IN (SELECT region FROM districts)
            AND nday IS NOT NULL AND mm BETWEEN 1 AND 12 AND nik_birth IS NOT NULL
            AND substr(n, 13, 4) <> '0000', false) AS nik_ok,
        coalesce(k16 AND substr(k, 1, 6) IN (SELECT region FROM districts)
            AND kdd BETWEEN 1 AND 31 AND kmm BETWEEN 1 AND 12 AND kk_date IS NOT NULL
            AND substr(k, 13, 4) <> '0000', false) AS kk_ok,
        CASE WHEN n16 THEN CAST(n AS UBIGINT) END AS nik_u
    FROM dates
),
inflight AS (
    SELECT DISTINCT nik_u FROM apps
    WHERE state NOT IN ('RECEIVED', 'REJECTED', 'COLLECTED', 'ARCHIVED') AND nik_u IS NOT NULL
),
batch AS (
    SELECT * FROM apps WHERE state = 'RECEIVED'
),
-- One join of the batch with the snapshot; only the needed columns are read.
joined AS (
    SELECT b.*, p.nik_u IS NOT NULL AS found, p.kk_number AS r_kk, p.name AS r_name,
        p.birth_date AS r_birth, p.sex AS r_sex, p.district_code AS r_district,
        p.marital_status AS r_marital, p.biometric_recorded AS r_recorded, p.status AS r_status
    FROM batch b
    LEFT JOIN (
        SELECT TRY_CAST(nik AS UBIGINT) AS nik_u, kk_number, name, birth_date, sex,
            district_code, marital_status, biometric_recorded, status
        FROM read_parquet('@POPULATION@')
    ) p ON b.nik_ok AND p.nik_u = b.nik_u
),
-- Name normalisation (pipeline/src/verify/name.rs), once per distinct name.
raw_names AS (
    SELECT DISTINCT name AS raw FROM joined
    UNION SELECT DISTINCT r_name FROM joined WHERE r_name IS NOT NULL
),
n1 AS (
    SELECT raw, upper(raw) AS u,
        CASE WHEN strpos(upper(raw), ',') > 0 THEN substr(upper(raw), strpos(upper(raw), ',') + 1) ELSE '' END AS tail
    FROM raw_names
),
n2 AS (
    SELECT raw,
        -- Everything after the first comma goes when it is only degrees.
        CASE WHEN coalesce(list_bool_and(list_transform(
                list_filter(string_split_regex(tail, '[\s,]+'), lambda t: t <> ''),
                lambda t: list_contains(@DEGREES@, regexp_replace(t, '[^A-Z0-9]', '', 'g')))), true)
            THEN split_part(u, ',', 1) ELSE u END AS text
    FROM n1
),
n3 AS (
    SELECT raw, list_filter(string_split_regex(text, '\s+'), lambda t: t <> '') AS toks FROM n2
),
n4 AS (
    -- Leading honorifics go while a name remains.
    SELECT raw, toks[coalesce(list_position(list_transform(toks,
        lambda t: list_contains(@HONORIFICS@, regexp_replace(t, '[^A-Z0-9]', '', 'g'))), false), len(toks)):] AS toks
    FROM n3
),
n5 AS (
    -- Trailing degrees written with a dot go while a name remains.
    SELECT raw, toks[1:coalesce(len(toks) + 1 - list_position(list_transform(list_reverse(toks),
        lambda t: NOT (contains(t, '.') AND list_contains(@DEGREES@, regexp_replace(t, '[^A-Z0-9]', '', 'g')))), true), 1)] AS toks
    FROM n4
),
names AS (
    SELECT raw, trim(regexp_replace(regexp_replace(regexp_replace(array_to_string(toks, ' '),
        '[''`’]', '', 'g'), '[^A-Z0-9]', ' ', 'g'), '\s+', ' ', 'g')) AS norm
    FROM n5
),
missing AS (
    SELECT b.id, count(*) AS n FROM batch b
    JOIN required r ON r.service = b.service
    WHERE NOT EXISTS (SELECT 1 FROM docs d WHERE d.id = b.id AND d.kind = r.kind)
    GROUP BY b.id
),
checked AS (
    SELECT j.*,
        NOT nik_ok AS nik_invalid,
        nik_ok AND NOT found AS not_found,
        found AND trim(r_status) = 'MENINGGAL' AS deceased,
        found AND trim(r_status) = 'PINDAH' AS moved_out,
        found AND NOT starts_with(coalesce(trim(r_district), ''), '@KABUPATEN@.') AS not_resident,
        found AND tn.norm <> rn.norm AND damerau_levenshtein(tn.norm, rn.norm) > 1 AS name_mismatch,
        found AND tn.norm <> rn.norm AND damerau_levenshtein(tn.norm, rn.norm) = 1 AS name_near,
        found AND (TRY_CAST(nullif(trim(j.birth_date), '') AS DATE) IS NULL
            OR r_birth IS NULL OR TRY_CAST(j.birth_date AS DATE) <> r_birth) AS birth_mismatch,
        found AND coalesce(trim(r_sex), '') <> nik_sex AS sex_mismatch,
        found AND trim(coalesce(j.kk_number, '')) <> ''
            AND NOT (kk_ok AND k = coalesce(trim(r_kk), '')) AS kk_mismatch,
        found AND starts_with(service, 'ktp_') AND NOT (
            coalesce(trim(r_marital), '') NOT IN ('', 'BELUM KAWIN')
            OR date_diff('year', coalesce(r_birth, nik_birth), sub_day)
                - CASE WHEN month(sub_day) * 100 + day(sub_day)
                    < month(coalesce(r_birth, nik_birth)) * 100 + day(coalesce(r_birth, nik_birth))
                    THEN 1 ELSE 0 END >= 17) AS underage,
        found AND starts_with(service, 'ktp_') AND NOT coalesce(r_recorded, false) AS not_recorded,
        coalesce(m.n, 0) > 0 AS document_missing
    FROM joined j
    LEFT JOIN names tn ON tn.raw = j.name
    LEFT JOIN names rn ON rn.raw = j.r_name
    LEFT JOIN missing m ON m.id = j.id
),
own AS (
    SELECT *,
        nik_invalid OR not_found OR deceased OR moved_out OR not_resident OR name_mismatch
            OR birth_mismatch OR underage OR sex_mismatch AS own_reject,
        CAST(sub_us AS HUGEINT) * 10000000000 + id AS seq
    FROM checked
),
dup AS (
    -- The oldest application of a NIK that its own checks do not reject
    -- keeps it; later ones, and all when the NIK is in flight already, are
    -- duplicates.
    SELECT *,
        nik_ok AND (nik_u IN (SELECT nik_u FROM inflight)
            OR seq > min(CASE WHEN NOT own_reject AND nik_ok THEN seq END) OVER (PARTITION BY nik_u))
            AS duplicate
    FROM own
),
decided AS (
    SELECT *,
        CASE
            WHEN own_reject OR coalesce(duplicate, false) THEN 'REJECTED'
            WHEN document_missing THEN 'INCOMPLETE'
            WHEN not_recorded THEN 'NEEDS_RECORDING'
            WHEN name_near OR kk_mismatch THEN 'REVIEW'
            ELSE 'VERIFIED'
        END AS outcome
    FROM dup
)
SELECT 'state' AS kind, outcome AS code, count(*) AS n FROM decided GROUP BY outcome
UNION ALL
SELECT 'reason', code, n FROM (
    SELECT unnest([
        {'code': 'NIK_INVALID', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND nik_invalid)},
        {'code': 'NIK_NOT_FOUND', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND not_found)},
        {'code': 'DECEASED', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND deceased)},
        {'code': 'MOVED_OUT', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND moved_out)},
        {'code': 'NOT_RESIDENT', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND not_resident)},
        {'code': 'NAME_MISMATCH', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND name_mismatch)},
        {'code': 'NAME_NEAR_MATCH', 'n': count(*) FILTER (WHERE outcome = 'REVIEW' AND name_near)},
        {'code': 'BIRTH_DATE_MISMATCH', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND birth_mismatch)},
        {'code': 'KK_MISMATCH', 'n': count(*) FILTER (WHERE outcome = 'REVIEW' AND kk_mismatch)},
        {'code': 'UNDERAGE', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND underage)},
        {'code': 'NOT_RECORDED', 'n': count(*) FILTER (WHERE outcome IN ('INCOMPLETE', 'NEEDS_RECORDING') AND not_recorded)},
        {'code': 'SEX_MISMATCH', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND sex_mismatch)},
        {'code': 'DOCUMENT_MISSING', 'n': count(*) FILTER (WHERE outcome = 'INCOMPLETE' AND document_missing)},
        {'code': 'DUPLICATE_IN_FLIGHT', 'n': count(*) FILTER (WHERE outcome = 'REJECTED' AND coalesce(duplicate, false))}
    ], recursive := true)
    FROM decided
) WHERE n > 0
ORDER BY kind DESC, code
