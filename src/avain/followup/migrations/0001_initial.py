# Follow-up meetings, the organiser's follow-up settings and the e-mail outbox.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('organisations', '0001_initial'),
        ('planning', '0005_budget_rule_free_form_share'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FollowUpMeeting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheduled_on', models.DateField(verbose_name='meeting date')),
                ('created_at', models.DateTimeField()),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('cancel_reason', models.CharField(blank=True, max_length=300, verbose_name='why the meeting was cancelled')),
                ('recorded_at', models.DateTimeField(blank=True, null=True)),
                ('how_it_worked', models.TextField(blank=True, verbose_name='how the plan has worked')),
                ('plan_changes', models.CharField(blank=True, choices=[('no', 'the plan continues as it is'), ('yes', 'the plan changes')], max_length=3, verbose_name='does the plan change')),
                ('ends_hb', models.BooleanField(default=False, verbose_name='the client returns to ordinary services')),
                ('cancelled_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='follow_up_meetings', to='planning.hbcase')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organiser', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='organisations.organiser')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['scheduled_on', 'id'],
                'indexes': [models.Index(fields=['organiser', 'scheduled_on'], name='followup_meeting_date')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('cancelled_at__isnull', True)), fields=('organiser', 'case', 'scheduled_on'), name='followup_one_meeting_a_day'), models.CheckConstraint(condition=models.Q(('cancelled_at__isnull', True), ('recorded_at__isnull', True), _connector='OR'), name='followup_cancelled_or_held'), models.CheckConstraint(condition=models.Q(models.Q(('ends_hb', False), ('plan_changes', ''), ('recorded_at__isnull', True), ('recorded_by__isnull', True)), models.Q(('recorded_at__isnull', False), ('recorded_by__isnull', False), ('plan_changes__in', ['no', 'yes']), models.Q(('how_it_worked', ''), _negated=True)), _connector='OR'), name='followup_outcome_complete'), models.CheckConstraint(condition=models.Q(models.Q(('cancelled_at__isnull', True), ('cancelled_by__isnull', True)), models.Q(('cancelled_at__isnull', False), ('cancelled_by__isnull', False)), _connector='OR'), name='followup_cancel_has_actor')],
            },
        ),
        migrations.CreateModel(
            name='FollowUpSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('interval_months', models.PositiveSmallIntegerField(default=3, verbose_name='follow-up meeting every … months')),
                ('reminder_days', models.PositiveSmallIntegerField(default=7, verbose_name='reminder … days before the meeting')),
                ('organiser', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='follow_up_settings', to='organisations.organiser')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('interval_months__gte', 1), ('interval_months__lte', 12)), name='followup_interval_1_to_12'), models.CheckConstraint(condition=models.Q(('reminder_days__lte', 60)), name='followup_reminder_at_most_60')],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', models.EmailField(max_length=254)),
                ('kind', models.CharField(choices=[('plan_submitted', 'a plan was sent for review'), ('plan_returned', 'a plan was returned with comments'), ('plan_approved', 'a plan was approved'), ('budget_decided', 'the budget was decided'), ('meeting_reminder', 'a follow-up meeting is coming')], max_length=30)),
                ('object_id', models.BigIntegerField()),
                ('subject', models.CharField(max_length=200)),
                ('body', models.TextField()),
                ('language', models.CharField(max_length=2)),
                ('created_at', models.DateTimeField()),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('error', models.TextField(blank=True)),
                ('organiser', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='organisations.organiser')),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['created_at', 'id'],
                'indexes': [models.Index(fields=['sent_at', 'created_at'], name='notification_pending')],
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_id', 'recipient'), name='notification_once_per_event'), models.CheckConstraint(condition=models.Q(('kind__in', ['plan_submitted', 'plan_returned', 'plan_approved', 'budget_decided', 'meeting_reminder'])), name='notification_kind_known'), models.CheckConstraint(condition=models.Q(('email', ''), _negated=True), name='notification_has_address')],
            },
        ),
    ]
