"""The partners' reports: aggregated figures of a territory over a period, under the statistical secret.

territory    Territory (the communes a report counts), BadTerritory, epci_choices
period       Period (the days it covers, Europe/Paris), BadPeriod
suppression  Cell, protect, THRESHOLD: what is hidden ("< 5", "masqué") so nobody is singled out
figures      Report, Table, build_report: every figure of a report, from the database
topics       the intents that count as topics, with their French labels
csv_export   report_csv: every figure of a report as CSV
pages, pdf, mailing   the report pages, their PDF and the weekly e-mail
"""
