"""Records in: the live projector (`consumer`: every partition, manually assigned), the
cross-partition event-time order (`aligner`), classified records (`records.Classified`), one
batch's changes worked out from reads (`changes`), their one transaction (`writer`), the
write-ahead overlap (`pipeline`) and the rebuild from offset 0 (`replay`, `shard`).

May import: `storage`, `complaints.readmodel`, `options`, `tuning`, aiokafka and the shared
Kafka helpers (`complaints.kafka`, `complaints.broker`). Never `api` or `app`.
"""
