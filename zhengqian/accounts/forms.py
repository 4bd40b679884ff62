from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from zhengqian.accounts.models import User
from zhengqian.accounts.roles import Action, Module, RoleCode
from zhengqian.core.forms import StyledForm, StyledFormMixin
from zhengqian.projects.models import Project, WorkGroup


class LoginForm(StyledFormMixin, AuthenticationForm):
    pass


class OwnPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


class ConfirmPasswordForm(StyledForm):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="wrong")
        return str(password)


class UserForm(StyledForm):
    username = forms.RegexField(
        label=_("Login name"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=60)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=100, required=False)

    def __init__(self, *args: Any, instance: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        qs = User.objects.filter(username__iexact=username)
        if self.instance is not None:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("This login name is taken."), code="taken")
        return username


class UserCreateForm(UserForm):
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput,
        help_text=_("At least 10 characters, letters and digits."),
    )


class SetPasswordForm(StyledForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)


class WorkGroupChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: WorkGroup) -> str:  # type: ignore[override]
        return f"{obj.project.code} · {obj.name}"


class MembershipForm(StyledForm):
    role = forms.ChoiceField(label=_("Role"), choices=RoleCode.choices)
    project = forms.ModelChoiceField(
        label=_("Project"),
        queryset=Project.objects.order_by("code"),
        required=False,
        empty_label=_("— all projects —"),
    )
    work_groups = WorkGroupChoiceField(
        label=_("Work groups"),
        queryset=WorkGroup.objects.select_related("project").order_by("project__code", "name"),
        required=False,
        help_text=_("Leave empty for every work group of the project."),
    )


class MatrixCellForm(forms.Form):
    role = forms.ChoiceField(choices=RoleCode.choices)
    module = forms.ChoiceField(choices=Module.choices)
    action = forms.ChoiceField(choices=Action.choices)
    allowed = forms.BooleanField(required=False)
