//! Users: GetUsers (never with passwords), CreateUsers, DeleteUsers and
//! SetUser, each all or nothing. The same users authenticate ONVIF
//! requests (UsernameToken and HTTP Digest) and snapshots.

use super::OnvifContext;
use crate::config::OnvifUser;
use crate::onvif::{Call, Effect, Element, Fault, Reply, UserLevel, ns};
use crate::onvif_state::UserChange;

/// GetUsers: names and levels; the spec forbids returning passwords.
pub(super) fn get_users(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let users = ctx.state.users();
    Ok(Reply::build(|w| {
        w.elem("tds:GetUsersResponse", |w| {
            for user in users {
                w.elem("tds:User", |w| {
                    w.leaf("tt:Username", &user.username);
                    w.leaf("tt:UserLevel", user.level.as_str());
                });
            }
        });
    }))
}

/// One `tt:User` of a request: name, optional password, level.
fn parse_user(element: &Element) -> Result<(String, Option<String>, UserLevel), Fault> {
    let username = element.required(ns::TT, "Username")?.text().to_owned();
    // Passwords are taken as sent, surrounding spaces included, so the
    // state's check refuses them instead of silently trimming.
    let password = element
        .param(ns::TT, "Password")
        .map(|p| p.raw_text.clone());
    let level_text = element.required(ns::TT, "UserLevel")?.text();
    let level = UserLevel::parse(level_text).ok_or_else(|| {
        Fault::invalid_arg_val(format!(
            "unsupported UserLevel {level_text:?} (Administrator, Operator or User)"
        ))
    })?;
    Ok((username, password, level))
}

/// The `User` children of the request, at least one.
fn users_of(call: &Call<'_>) -> Result<Vec<(String, Option<String>, UserLevel)>, Fault> {
    let users = call
        .body
        .children_by_local_name("User")
        .map(parse_user)
        .collect::<Result<Vec<_>, _>>()?;
    if users.is_empty() {
        return Err(Fault::invalid_args("the request names no User"));
    }
    Ok(users)
}

/// CreateUsers: all or none.
pub(super) fn create_users(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let users: Vec<OnvifUser> = users_of(call)?
        .into_iter()
        .map(|(username, password, level)| OnvifUser {
            username,
            password: password.unwrap_or_default(),
            level,
            fixed: false,
        })
        .collect();
    ctx.state.create_users(&users)?;
    Ok(Reply::empty("tds:CreateUsersResponse").with_effect(Effect::PersistConfig))
}

/// DeleteUsers: all or none; fixed users stay.
pub(super) fn delete_users(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let names: Vec<&str> = call
        .body
        .children_by_local_name("Username")
        .map(Element::text)
        .collect();
    if names.is_empty() {
        return Err(Fault::invalid_args("the request names no Username"));
    }
    ctx.state.delete_users(&names)?;
    Ok(Reply::empty("tds:DeleteUsersResponse").with_effect(Effect::PersistConfig))
}

/// SetUser: new level and (when given) password, all or none.
pub(super) fn set_user(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let changes: Vec<UserChange> = users_of(call)?
        .into_iter()
        .map(|(username, password, level)| UserChange {
            username,
            password,
            level,
        })
        .collect();
    ctx.state.set_users(&changes)?;
    Ok(Reply::empty("tds:SetUserResponse").with_effect(Effect::PersistConfig))
}
