"""Provider adapters: each authenticates a request its own way and maps its body onto
``CallEvent``s for the one ingestion service. ``ADAPTERS`` names them by ``Adapter`` value."""

from .asterisk import AsteriskAdapter
from .base import Refusal, Unreadable, WebhookAdapter
from .freeswitch import FreeswitchAdapter
from .generic import GenericJsonAdapter
from .mango import MangoAdapter
from .twilio import TwilioAdapter
from .zadarma import ZadarmaAdapter

ADAPTERS: dict[str, type[WebhookAdapter]] = {
    adapter.name: adapter for adapter in (
        ZadarmaAdapter, MangoAdapter, TwilioAdapter, AsteriskAdapter, FreeswitchAdapter,
        GenericJsonAdapter)
}

__all__ = ["ADAPTERS", "Refusal", "Unreadable", "WebhookAdapter"]
