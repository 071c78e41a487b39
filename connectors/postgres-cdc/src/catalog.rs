//! What the replication stream does not say, read from the catalog:
//! nullability, defaults, primary keys, enum labels, domains and arrays.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_postgres::Client;

use crate::envelope::ColumnDesc;
use crate::error::PgCdcError;
use crate::filters::Filters;
use crate::types::{builtin_kind, default_value, Kind, Mapping};

/// A relation as pgoutput (or the catalog, for snapshots) describes it.
#[derive(Debug, Clone)]
pub struct RelationDesc {
    pub oid: u32,
    pub schema: String,
    pub table: String,
    /// `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    pub columns: Vec<RelColumn>,
}

/// A column of a [`RelationDesc`].
#[derive(Debug, Clone)]
pub struct RelColumn {
    pub name: String,
    pub type_oid: u32,
    pub typmod: i32,
    /// Part of the replica identity.
    pub identity: bool,
}

/// Per-table catalog facts.
#[derive(Debug, Clone, Default)]
pub struct TableMeta {
    pub not_null: HashMap<String, bool>,
    pub defaults: HashMap<String, String>,
    pub primary_key: Vec<String>,
}

/// Caches type resolution.
#[derive(Default)]
pub struct Catalog {
    kinds: HashMap<(u32, i32), Kind>,
}

fn sql_err(what: &str, e: tokio_postgres::Error) -> PgCdcError {
    PgCdcError::sql(what, &e)
}

impl Catalog {
    /// Resolves a type OID (built-ins, enums, domains, arrays).
    pub async fn kind(
        &mut self,
        client: &Client,
        oid: u32,
        typmod: i32,
    ) -> Result<Kind, PgCdcError> {
        if let Some(k) = builtin_kind(oid, typmod) {
            return Ok(k);
        }
        if let Some(k) = self.kinds.get(&(oid, typmod)) {
            return Ok(k.clone());
        }
        let kind = Box::pin(self.resolve(client, oid, typmod)).await?;
        self.kinds.insert((oid, typmod), kind.clone());
        Ok(kind)
    }

    async fn resolve(
        &mut self,
        client: &Client,
        oid: u32,
        typmod: i32,
    ) -> Result<Kind, PgCdcError> {
        let row = client
            .query_opt(
                "SELECT typtype::text, typbasetype, typtypmod, typelem, typcategory::text, typname::text \
                 FROM pg_catalog.pg_type WHERE oid = $1",
                &[&oid],
            )
            .await
            .map_err(|e| sql_err("reading pg_type", e))?;
        let Some(row) = row else {
            return Ok(Kind::Other);
        };
        let typtype: String = row.get(0);
        let base: u32 = row.get(1);
        let base_mod: i32 = row.get(2);
        let elem: u32 = row.get(3);
        let category: String = row.get(4);
        let name: String = row.get(5);
        if typtype == "e" {
            let labels = client
                .query(
                    "SELECT enumlabel::text FROM pg_catalog.pg_enum WHERE enumtypid = $1 ORDER BY enumsortorder",
                    &[&oid],
                )
                .await
                .map_err(|e| sql_err("reading pg_enum", e))?
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>();
            return Ok(Kind::Enum(Arc::from(labels)));
        }
        if typtype == "d" {
            return self
                .kind(client, base, if typmod >= 0 { typmod } else { base_mod })
                .await;
        }
        if category == "A" && elem != 0 {
            return Ok(Kind::Array(Box::new(self.kind(client, elem, -1).await?)));
        }
        if name == "citext" || name == "ltree" {
            return Ok(Kind::Text);
        }
        Ok(Kind::Other)
    }
}

/// Nullability, defaults and the primary key of a table.
pub async fn table_meta(client: &Client, oid: u32) -> Result<TableMeta, PgCdcError> {
    let rows = client
        .query(
            "SELECT a.attname::text, a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid) \
             FROM pg_catalog.pg_attribute a \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped",
            &[&oid],
        )
        .await
        .map_err(|e| sql_err("reading pg_attribute", e))?;
    let mut meta = TableMeta::default();
    for r in rows {
        let name: String = r.get(0);
        meta.not_null.insert(name.clone(), r.get(1));
        if let Some(d) = r.get::<_, Option<String>>(2) {
            meta.defaults.insert(name, d);
        }
    }
    let pk = client
        .query(
            "SELECT a.attname::text FROM pg_catalog.pg_index i \
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord",
            &[&oid],
        )
        .await
        .map_err(|e| sql_err("reading the primary key", e))?;
    meta.primary_key = pk.iter().map(|r| r.get(0)).collect();
    Ok(meta)
}

/// The column descriptions and key of a relation.
pub async fn describe(
    client: &Client,
    catalog: &mut Catalog,
    rel: &RelationDesc,
    filters: &Filters,
    key_override: Option<&[String]>,
    mapping: &Mapping,
) -> Result<(Vec<ColumnDesc>, Vec<String>), PgCdcError> {
    let meta = table_meta(client, rel.oid).await?;
    let mut cols = Vec::with_capacity(rel.columns.len());
    for c in &rel.columns {
        let kind = catalog.kind(client, c.type_oid, c.typmod).await?;
        let required = meta.not_null.get(&c.name).copied().unwrap_or(false);
        let default = default_value(
            &kind,
            meta.defaults.get(&c.name).map(String::as_str),
            required,
            mapping,
        );
        cols.push(ColumnDesc {
            name: c.name.clone(),
            kind,
            optional: !required,
            default,
            included: filters.column_included(&rel.schema, &rel.table, &c.name),
        });
    }
    let key: Vec<String> = match key_override {
        Some(k) => k.to_vec(),
        None if !meta.primary_key.is_empty() => meta.primary_key.clone(),
        None if rel.replica_identity == b'i' => rel
            .columns
            .iter()
            .filter(|c| c.identity)
            .map(|c| c.name.clone())
            .collect(),
        None => Vec::new(),
    };
    // Keep only key columns that exist in the relation.
    let key = key
        .into_iter()
        .filter(|k| rel.columns.iter().any(|c| c.name == *k))
        .collect();
    Ok((cols, key))
}

/// The captured tables of the publication, as relation descriptions read from the catalog (for snapshots).
pub async fn published_tables(
    client: &Client,
    publication: &str,
    filters: &Filters,
) -> Result<Vec<RelationDesc>, PgCdcError> {
    let rows = client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relreplident::text \
             FROM pg_catalog.pg_publication_tables p \
             JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname \
             JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename \
             WHERE p.pubname = $1 ORDER BY 2, 3",
            &[&publication],
        )
        .await
        .map_err(|e| sql_err("reading pg_publication_tables", e))?;
    let mut out = Vec::new();
    for r in rows {
        let (oid, schema, table, ri): (u32, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if !filters.table_included(&schema, &table) {
            continue;
        }
        let cols = client
            .query(
                "SELECT attname::text, atttypid, atttypmod FROM pg_catalog.pg_attribute \
                 WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                &[&oid],
            )
            .await
            .map_err(|e| sql_err("reading pg_attribute", e))?;
        out.push(RelationDesc {
            oid,
            schema,
            table,
            replica_identity: ri.bytes().next().unwrap_or(b'd'),
            columns: cols
                .iter()
                .map(|c| RelColumn {
                    name: c.get(0),
                    type_oid: c.get(1),
                    typmod: c.get(2),
                    identity: false,
                })
                .collect(),
        });
    }
    Ok(out)
}

/// Quotes an identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes a literal.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
