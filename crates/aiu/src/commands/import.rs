//! `aiu import ADDR ID`: look an existing object up in AWS and record it in state under ADDR.

use std::path::Path;
use std::process::ExitCode;

use aiu_model::{InstanceAddress, ResourceMode};
use anyhow::{anyhow, bail, Result};

use crate::args::ImportArgs;
use crate::printer::Printer;
use crate::session::{read_state, take_lock, Session};

pub fn run(dir: &Path, args: &ImportArgs, printer: &Printer) -> Result<ExitCode> {
    let address: InstanceAddress = args.address.parse().map_err(|e| anyhow!("{e}"))?;
    let session = Session::load(dir, &args.vars, printer)?;
    if address.resource.mode != ResourceMode::Managed {
        bail!("Only managed resources can be imported; `{address}` is a data source.");
    }
    if session.config.resource(&address.resource).is_none() {
        bail!(
            "Configuration for import target does not exist: `{}` is not declared. Add a `resource \"{}\" \"{}\" {{}}` block first, then import.",
            address.resource, address.resource.type_name, address.resource.name
        );
    }
    let backend = session.backend(&args.state)?;
    let _lock = take_lock(backend.as_ref(), &args.lock, "import")?;
    let mut state = read_state(backend.as_ref())?;
    if state.instance(&address).is_some() {
        bail!("Resource already managed by aiu: `{address}` is in the state. Remove it with a state edit first if you want to import another object there.");
    }
    let rt = super::runtime()?;
    let found = rt.block_on(async {
        let (provider, _) = session.connect().await?;
        provider
            .import(&address.resource.type_name, &args.id)
            .await
            .map_err(|e| anyhow!("{e}"))
    })?;
    let Some(value) = found else {
        bail!(
            "Cannot import non-existent remote object: no {} with id `{}` exists in the account.",
            address.resource.type_name,
            args.id
        );
    };
    let serde_json::Value::Object(attrs) = value.to_json() else {
        bail!("the provider returned a malformed object")
    };
    state.set_instance(&address, attrs, Vec::new());
    backend.write(&mut state).map_err(|e| anyhow!("{e}"))?;
    printer.out(&format!("{address}: Import prepared!\n\nImport successful!\n\nThe resource is now managed by aiu. Run `aiu plan` to see how it differs from the configuration."));
    Ok(ExitCode::SUCCESS)
}
