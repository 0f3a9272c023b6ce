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


def create_faust_app(group_id: str, settings: Settings) -> faust.App:
    profile = get_profile(settings)
    transport_cls = _transport_for(profile)

    class App(faust.App):
        def _new_transport(self) -> Any:
            return transport_cls(self.conf.broker_consumer, self)

    return App(
        group_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        web_enabled=False,
        autodiscover=False,
        topic_allow_declare=False,  # topics are created explicitly (`complaints topics create`)
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_credentials=None,
        **profile.faust_settings(),
    )
