from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from zhengqian.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("zhengqian.accounts.urls")),
    path("projects/", include("zhengqian.projects.urls")),
    path("audit/", include("zhengqian.audit.urls")),
    path("survey/", include("zhengqian.survey.urls")),
    path("ownership/", include("zhengqian.ownership.urls")),
    path("valuation/", include("zhengqian.valuation.urls")),
    path("compensation/", include("zhengqian.compensation.urls")),
    path("agreements/", include("zhengqian.agreements.urls")),
    path("payments/", include("zhengqian.payments.urls")),
    path("petitions/", include("zhengqian.petitions.urls")),
    path("demolition/", include("zhengqian.demolition.urls")),
    path("legal/", include("zhengqian.legal.urls")),
    path("resettlement/", include("zhengqian.resettlement.urls")),
    path("holdouts/", include("zhengqian.holdouts.urls")),
    path("dashboard/", include("zhengqian.dashboard.urls")),
    path("work/", include("zhengqian.reminders.urls")),
    path("admin/", include("zhengqian.core.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
