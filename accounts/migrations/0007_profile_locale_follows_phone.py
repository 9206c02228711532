"""A profile's locale may be blank: the API then answers in the phone's Accept-Language (accounts.language)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_profile_currency'),
    ]

    operations = [
        migrations.AlterField(
            model_name='userprofile',
            name='locale',
            field=models.CharField(blank=True, default='', help_text="The language the API answers in (fr-CM: French); blank follows the phone's Accept-Language.", max_length=16, validators=[django.core.validators.RegexValidator('^[a-z]{2,3}(-[A-Z]{2})?$', 'Use a locale such as en or fr-CM.')]),
        ),
    ]
