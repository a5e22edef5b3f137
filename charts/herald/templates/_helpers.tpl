{{/* Chart name, overridable. */}}
{{- define "herald.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every resource name: the release name, plus the chart name unless the release name has it. */}}
{{- define "herald.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "herald.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. Call with (dict "ctx" $ "component" "controller"). */}}
{{- define "herald.labels" -}}
helm.sh/chart: {{ include "herald.chart" .ctx }}
{{ include "herald.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: herald
{{- end -}}

{{/* Labels that select a component's pods; never change them (Deployment/DaemonSet selectors are immutable). */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herald.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{- define "herald.controller.fullname" -}}
{{- printf "%s-controller" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herald.speaker.fullname" -}}
{{- printf "%s-speaker" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herald.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (include "herald.controller.fullname" .) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "herald.speaker.serviceAccountName" -}}
{{- if .Values.speaker.serviceAccount.create -}}
{{- default (include "herald.speaker.fullname" .) .Values.speaker.serviceAccount.name -}}
{{- else -}}
{{- required "speaker.serviceAccount.name is required when speaker.serviceAccount.create is false" .Values.speaker.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap both programs watch (key config.yaml). */}}
{{- define "herald.configMapName" -}}
{{- if .Values.existingConfigMap -}}
{{- .Values.existingConfigMap -}}
{{- else -}}
{{- printf "%s-config" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "herald.leaseName" -}}
{{- default (include "herald.controller.fullname" .) .Values.controller.leaderElection.leaseName -}}
{{- end -}}

{{/* repository:tag or repository@digest. Call with (dict "image" .Values.x.image "ctx" $). */}}
{{- define "herald.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* host:port for --metrics-address; IPv6 hosts are bracketed. Call with a metrics values map. */}}
{{- define "herald.metricsAddress" -}}
{{- if contains ":" .address -}}
{{- printf "[%s]:%d" .address (int .port) -}}
{{- else -}}
{{- printf "%s:%d" .address (int .port) -}}
{{- end -}}
{{- end -}}

{{/* True ("true") when the speaker must bind a privileged port and so needs NET_BIND_SERVICE as root. */}}
{{- define "herald.speaker.privilegedPort" -}}
{{- if lt (int .Values.speaker.bgp.listenPort) 1024 -}}true{{- end -}}
{{- end -}}

{{- define "herald.metricsServiceEnabled" -}}
{{- if or .Values.metrics.service.enabled .Values.metrics.serviceMonitor.enabled -}}true{{- end -}}
{{- end -}}
