"""The job of an Excel import of valuations."""

import django.db.models.deletion
import zhengqian.valuation.models_import
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0001_initial'),
        ('valuation', '0002_project_manager_cells'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ValuationImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('original_name', models.CharField(max_length=200, verbose_name='file name')),
                ('size', models.PositiveIntegerField(verbose_name='size (bytes)')),
                ('sha256', models.CharField(max_length=64, verbose_name='checksum')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('validating', 'Checking'), ('validated', 'Checked'), ('importing', 'Importing'), ('done', 'Imported'), ('failed', 'Failed')], default='queued', max_length=16, verbose_name='status')),
                ('total_rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                ('processed_rows', models.PositiveIntegerField(default=0, verbose_name='rows processed')),
                ('error_count', models.PositiveIntegerField(default=0, verbose_name='errors')),
                ('errors', models.JSONField(blank=True, default=list, verbose_name='errors')),
                ('summary', models.JSONField(blank=True, default=dict, verbose_name='summary')),
                ('message', models.CharField(blank=True, max_length=500, verbose_name='message')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='uploaded at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('file', models.FileField(max_length=200, upload_to=zhengqian.valuation.models_import.valuation_import_path, verbose_name='file')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='uploaded by')),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='valuation_imports', to='projects.project', verbose_name='project')),
            ],
            options={
                'verbose_name': 'valuation import',
                'verbose_name_plural': 'valuation imports',
                'ordering': ['-created_at', '-id'],
                'abstract': False,
                'indexes': [models.Index(fields=['project', 'created_by', '-created_at'], name='valuation_import_recent')],
            },
        ),
    ]
