//! Loads a directory of HCL files into a checked, span-carrying configuration.
