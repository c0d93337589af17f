"""A hub connector for partners that publish nightly CSV exports over HTTP (kind `csv-export`)."""

from csv_exports.connector import CsvExportConnector, CsvExportSettings

__all__ = ["CsvExportConnector", "CsvExportSettings"]
