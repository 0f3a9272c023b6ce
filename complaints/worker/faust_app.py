"""A faust App configured from the broker profile, with a fetch wait faust does not expose.

faust-streaming hard-codes `fetch_max_wait_ms=1500` for its consumer; on a broker
that does not wake fetches on new data (Tansu) that is ~0.75 s per hop. The
profile's value is applied through faust's own extension point (`_new_transport`).
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from complaints.broker.profile import BrokerProfile, get_profile
from complaints.settings import Settings
from complaints.worker.tuning import STREAM_BUFFER


def _transport_for(profile: BrokerProfile) -> type[faust_aiokafka.Transport]:
    class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport: Any) -> Any:
            consumer = super()._create_worker_consumer(transport)
            consumer._fetch_max_wait_ms = profile.fetch_max_wait_ms
            return consumer

    class Consumer(faust_aiokafka.Consumer):
        def _new_consumer_thread(self) -> Any:
            return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    class Transport(faust_aiokafka.Transport):
        pass

    Transport.Consumer = Consumer
    return Transport


def _credentials(settings: Settings) -> Any:
    """SASL/TLS settings in faust's terms (the same ones every other client gets)."""
    ssl_context = None
    if settings.kafka_ssl_cafile or settings.kafka_security_protocol.endswith("SSL"):
        from aiokafka.helpers import create_ssl_context

        ssl_context = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_sasl_mechanism:
        password = settings.kafka_sasl_password
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            ssl_context=ssl_context,
            mechanism=settings.kafka_sasl_mechanism,
        )
    return faust.SSLCredentials(ssl_context) if ssl_context else None


def create_faust_app(group_id: str, settings: Settings) -> faust.App:
    profile = get_profile(settings)
    transport_cls = _transport_for(profile)

    class App(faust.App):
        def _new_transport(self) -> Any:
            return transport_cls(self.conf.broker_consumer, self)

    return App(
        group_id,
        broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap_servers.split(",")],
        web_enabled=False,
        autodiscover=False,
        topic_allow_declare=False,  # topics are created explicitly (`complaints topics create`)
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        # Records buffered per stream before faust pauses fetching (`tuning.STREAM_BUFFER`).
        stream_buffer_maxsize=STREAM_BUFFER,
        broker_credentials=_credentials(settings),
        **profile.faust_settings(),
    )
