//! Pure planning: configuration x prior state x data-source answers -> a Plan.
