//! Adapts an async [`Provider`] to the planner's synchronous [`DataSourceReader`].

use aiu_model::Value;
use aiu_plan::DataSourceReader;
use aiu_provider::{ErrorKind, Provider};

/// Reads data sources and import targets through a provider during planning. Must be used
/// from inside a multi-threaded tokio runtime.
pub struct ProviderReader<'a> {
    pub provider: &'a dyn Provider,
}

impl ProviderReader<'_> {
    fn block_on<T>(&self, fut: impl std::future::Future<Output = T>) -> T {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(fut))
    }
}

impl DataSourceReader for ProviderReader<'_> {
    fn read(&self, type_name: &str, args: &Value) -> Result<Option<Value>, String> {
        self.block_on(self.provider.read_data_source(type_name, args))
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, String> {
        match self.block_on(self.provider.import(type_name, id)) {
            Ok(found) => Ok(found),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn is_online(&self) -> bool {
        true
    }
}
