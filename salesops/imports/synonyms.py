"""The header names call exports use for each field of a call, in Russian and English.

One table, kept by hand: add a name here when an admin's file used one we did not know. Names
are written as people write them; they are compared as ``header_key`` folds them (case, spaces,
punctuation and a BOM do not matter), so "Agent e-mail", "agent_email" and "AGENT EMAIL" are one.
A header is first looked up whole; a header that is no name here but contains one (the longest
wins) is proposed for that field, and the admin confirms it on the mapping screen.
"""

from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    "call_id": _("Call id"),
    "group_id": _("Linked call id (legs of one call)"),
    "started_at": _("Started at (date and time)"),
    "date": _("Date"),
    "time": _("Time"),
    "agent": _("Manager (agent, operator)"),
    "src": _("From (caller's number)"),
    "dst": _("To (called number)"),
    "channel": _("Channel"),
    "dstchannel": _("Destination channel"),
    "phone": _("Client's phone"),
    "duration": _("Total duration"),
    "talk": _("Talk time"),
    "wrapup": _("Wrap-up time"),
    "status": _("Result (status)"),
    "direction": _("Direction"),
    "recording": _("Recording URL"),
}

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "call_id": (
        "Call ID", "CallID", "Call Sid", "Sid", "ID", "UID", "Unique ID", "UniqueID", "Call UUID",
        "UUID", "Record ID", "Session ID",
        "ID звонка", "Идентификатор", "Идентификатор звонка", "ID записи", "Номер звонка",
        "ID вызова", "Идентификатор вызова", "Код звонка",
    ),
    "group_id": ("Linked ID", "LinkedID", "Parent Call Sid", "Parent ID", "ID сессии"),
    "started_at": (
        "Started", "Start", "Start time", "Started at", "Start date", "Call start", "Date time",
        "Datetime", "Call date", "Calldate", "Date and time", "Timestamp", "Created",
        "Дата и время", "Дата/время", "Дата время", "Начало", "Начало звонка", "Время начала",
        "Время звонка", "Дата звонка", "Дата и время звонка",
    ),
    "date": ("Date", "Day", "Дата", "День"),
    "time": ("Time", "Время"),
    "agent": (
        "Agent", "Agent e-mail", "Agent email", "Agent name", "Agent ID", "User", "User name",
        "Operator", "Employee", "Manager", "Extension", "Answered by", "Caller agent",
        "Оператор", "Сотрудник", "Менеджер", "Агент", "Ответственный", "Кто ответил",
        "Кто звонил", "Внутренний номер", "Добавочный", "ФИО сотрудника", "ФИО менеджера",
        "ФИО оператора", "Email сотрудника",
    ),
    "src": ("From", "Caller", "Caller number", "Source", "Src", "CallerID", "Откуда", "Кто"),
    "dst": ("To", "Called", "Called number", "Destination", "Dst", "Куда", "Кому"),
    "channel": ("Channel", "Канал"),
    "dstchannel": ("Destination channel", "Dstchannel", "Канал назначения"),
    "phone": (
        "Phone", "Phone number", "Client phone", "Customer phone", "Customer number",
        "Client number", "Number", "Contact", "Lead phone", "Number dialed", "Remote number",
        "Телефон", "Телефон клиента", "Номер клиента", "Номер телефона", "Номер",
        "Номер абонента", "Абонент", "Клиент", "Телефон контакта", "Внешний номер",
    ),
    "duration": (
        "Duration", "Total duration", "Call duration", "Total time", "Length", "Length in sec",
        "Duration sec", "Duration (s)",
        "Длительность", "Длительность звонка", "Общая длительность", "Продолжительность",
        "Общее время", "Длительность вызова",
    ),
    "talk": (
        "Talk time", "Talk", "Talk duration", "Billsec", "Bill sec", "Billable seconds",
        "Conversation", "Conversation time", "Conversation duration",
        "Длительность разговора", "Время разговора", "Разговор", "Продолжительность разговора",
    ),
    "wrapup": (
        "Wrap-up", "Wrap up", "Wrapup time", "After call work", "ACW", "Postprocess duration",
        "Постобработка", "Поствызывная обработка", "Время постобработки",
    ),
    "status": (
        "Result", "Status", "Call status", "Call result", "Disposition", "Outcome",
        "Статус", "Результат", "Статус звонка", "Результат звонка", "Итог",
    ),
    "direction": (
        "Direction", "Call direction", "Type", "Call type",
        "Тип", "Направление", "Тип звонка", "Направление звонка",
    ),
    "recording": (
        "Recording", "Recording URL", "Record", "Recording file", "Record URL", "Recording link",
        "Запись", "Ссылка на запись", "Запись разговора",
    ),
}
