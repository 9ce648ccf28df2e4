//! Settings → Groups: the page, its lists and the rename dialog.

use askama::Template;

use super::store::Group;
use super::Kind;
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

/// One kind's groups, each with how many users hold it.
pub struct KindList {
    pub kind: Kind,
    pub groups: Vec<(Group, i64)>,
}

impl KindList {
    /// Every kind, in order, from the organization's groups and their counts.
    pub fn all(groups: Vec<Group>, counts: &std::collections::BTreeMap<i64, i64>) -> Vec<KindList> {
        let mut lists: Vec<KindList> = Kind::ALL
            .into_iter()
            .map(|kind| KindList {
                kind,
                groups: Vec::new(),
            })
            .collect();
        for group in groups {
            let members = counts.get(&group.id).copied().unwrap_or(0);
            if let Some(list) = lists.iter_mut().find(|l| l.kind == group.kind()) {
                list.groups.push((group, members));
            }
        }
        lists
    }
}

#[derive(Template)]
#[template(path = "groups/_lists.html")]
pub struct GroupLists {
    pub lists: Vec<KindList>,
}

#[derive(Template)]
#[template(path = "groups/page.html")]
pub struct GroupsPage {
    pub shell: Shell,
    pub notice: Option<String>,
    /// The create form as typed (after a refusal).
    pub kind: String,
    pub name: String,
    pub errors: FieldErrors,
    pub lists: GroupLists,
}

impl GroupsPage {
    fn kinds(&self) -> [Kind; 3] {
        Kind::ALL
    }

    fn kind_selected(&self, kind: &Kind) -> bool {
        self.kind == kind.code()
    }
}
