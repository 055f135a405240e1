# Messages of this area of the site; see catalogue! in src/i18n.rs.
