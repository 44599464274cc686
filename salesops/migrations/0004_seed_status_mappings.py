"""Seed the status mappings (what each source's status values mean as our outcomes, SPEC §2),
which admins then edit in the admin, and give the Admins group the import models' permissions.

Outcomes: 0 no answer, 1 secretary, 2 decision maker, 3 presentation, 4 consent. A telephony
system can only tell whether a call was answered: an answered call starts at secretary
(somebody picked up); an admin who reads it otherwise changes the mapping. In "asterisk" the
numeric dispositions follow CALL-FORMATS.md (ANSWERED 4, NO ANSWER 1, BUSY 2, FAILED 3). In
"cdr-stats" the values are Q.850 cause codes; 15 is unassigned in Q.850, but CDR-Stats' own sample
generator writes it for calls that did not connect. The importer reads only the table.
"""

from django.db import migrations

from salesops.roles import grant_role_permissions

DEFAULT_STATUSES = {'': {'no_answer': 0,
      'no answer': 0,
      'secretary': 1,
      'decision_maker': 2,
      'decision maker': 2,
      'presentation': 3,
      'consent': 4,
      'недозвон': 0,
      'секретарь': 1,
      'лпр': 2,
      'выход на лпр': 2,
      'презентация': 3,
      'презентация озвучена': 3,
      'согласие': 4},
 'asterisk': {'answered': 1,
              'no answer': 0,
              'busy': 0,
              'failed': 0,
              'congestion': 0,
              '4': 1,
              '1': 0,
              '2': 0,
              '3': 0},
 'freeswitch': {'normal_clearing': 1,
                'attended_transfer': 1,
                'blind_transfer': 1,
                'picked_off': 1,
                'allotted_timeout': 1,
                'user_busy': 0,
                'no_user_response': 0,
                'no_answer': 0,
                'originator_cancel': 0,
                'call_rejected': 0,
                'unallocated_number': 0,
                'normal_temporary_failure': 0,
                'recovery_on_timer_expire': 0,
                'destination_out_of_order': 0,
                'network_out_of_order': 0,
                'lose_race': 0,
                'no_route_destination': 0,
                'subscriber_absent': 0,
                'normal_unspecified': 0,
                'incompatible_destination': 0,
                'media_timeout': 0,
                'manager_request': 0},
 'twilio': {'completed': 1, 'busy': 0, 'no-answer': 0, 'failed': 0, 'canceled': 0},
 'vicidial': {'sale': 4,
              'xfer': 3,
              'ni': 2,
              'callbk': 2,
              'cbhold': 2,
              'dnc': 1,
              'na': 0,
              'n': 0,
              'b': 0,
              'dc': 0,
              'a': 0,
              'aa': 0,
              'ab': 0,
              'adc': 0,
              'drop': 0,
              'pdrop': 0,
              'afthrs': 0,
              'am': 0,
              'al': 0,
              'pu': 0,
              'np': 0},
 'cdr-stats': {'16': 1,
               '15': 0,
               '17': 0,
               '18': 0,
               '19': 0,
               '21': 0,
               '1': 0,
               '31': 0,
               '34': 0,
               '41': 0,
               '102': 0},
 'russian': {'нет ответа': 0,
             'не отвечен': 0,
             'не дозвонились': 0,
             'занято': 0,
             'сброс': 0,
             'пропущенный': 0,
             'неотвеченный': 0,
             'отвечен': 1,
             'принят': 1,
             'успешный': 1,
             'разговор': 1,
             'отказ': 2,
             'заявка': 4}}

ADMIN_MODELS = ["importrowerror", "importpreset", "statusmapping", "manageralias",
                "dailymanagerstats"]
ACTIONS = ["view", "add", "change", "delete"]


def seed(apps, schema_editor):
    StatusMapping = apps.get_model("salesops", "StatusMapping")
    StatusMapping.objects.bulk_create(
        [
            StatusMapping(preset=preset, value=value, outcome=outcome)
            for preset, values in DEFAULT_STATUSES.items()
            for value, outcome in values.items()
        ],
        ignore_conflicts=True,
    )
    grant_role_permissions(
        apps, app_label="salesops",
        permissions={"Admins": [f"{a}_{m}" for m in ADMIN_MODELS for a in ACTIONS]},
    )


def unseed(apps, schema_editor):
    apps.get_model("salesops", "StatusMapping").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("salesops", "0003_import_progress_presets_mappings_stats")]

    operations = [migrations.RunPython(seed, unseed)]
