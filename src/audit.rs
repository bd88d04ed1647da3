//! Recording security events: into the hash-chained audit table and onto the `security`
//! log target. Records name who, what and the result; never secrets or pupil data.

use crate::db::audit::{self, NewAudit};
use crate::error::AppResult;
use crate::startup::AppState;

/// Escapes control characters (line breaks, escape sequences) and keeps all other text,
/// umlauts included, readable.
pub fn escape_controls(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Builder for one audit record.
#[derive(Debug, Clone, Default)]
pub struct Event(NewAudit);

impl Event {
    pub fn new(action: &str) -> Self {
        Self(NewAudit {
            action: action.to_owned(),
            result: "erfolg".into(),
            assurance: "keine".into(),
            ..Default::default()
        })
    }

    pub fn school(mut self, id: i64) -> Self {
        self.0.school_id = Some(id);
        self
    }

    pub fn actor(mut self, user_id: i64) -> Self {
        self.0.actor_user_id = Some(user_id);
        self
    }

    /// The object acted on; control characters are escaped.
    pub fn object(mut self, object: impl AsRef<str>) -> Self {
        self.0.object = escape_controls(object.as_ref());
        self
    }

    pub fn result(mut self, result: &str) -> Self {
        self.0.result = result.to_owned();
        self
    }

    pub fn assurance(mut self, level: &str) -> Self {
        self.0.assurance = level.to_owned();
        self
    }

    pub fn client(mut self, addr: impl Into<String>) -> Self {
        self.0.client_addr = addr.into();
        self
    }

    /// Free detail; control characters are escaped.
    pub fn detail(mut self, detail: impl AsRef<str>) -> Self {
        self.0.detail = escape_controls(detail.as_ref());
        self
    }

    /// Writes the record; an audit that cannot be written fails the operation.
    pub async fn record(self, state: &AppState) -> AppResult<()> {
        let e = self.0;
        tracing::info!(
            target: "security",
            action = %e.action,
            result = %e.result,
            school = ?e.school_id,
            actor = ?e.actor_user_id,
            object = %e.object,
            assurance = %e.assurance,
        );
        let at = state.clock.now().naive_utc();
        // A school's record goes to its chain in its database; the rest to the default one.
        let db = match e.school_id {
            Some(school) => state.db.for_school(school),
            None => state.db.home(),
        };
        db.run(move |c| audit::append(c, at, &e)).await?;
        Ok(())
    }
}
