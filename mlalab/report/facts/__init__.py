"""The lab's answers as data: pure functions from measured tables (DataFrames) to *facts*, one module per
report part (mnist, part3, efficiency, validation) over the shared helpers of `common` (see its doc).
Import from the modules themselves, so a job depends on exactly the modules it uses."""
